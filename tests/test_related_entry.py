"""/related through the real core and the console adapter, over the shipped seeds."""

from __future__ import annotations

import io

from rich.console import Console

from adapters.console import ConsoleAdapter
from bot.core import Core
from bot.ingest.seeds import import_seeds
from bot.models import Article, ChannelRef, Draft, Generator, Item, Request, Section

CONSOLE = ChannelRef("console", "local")
RATE_CUT = "https://www.harbourledger.example/economy/2026/02/12/bank-of-norland-cuts-rates"


async def test_related_by_id_lists_explained_items(core: Core) -> None:
    await import_seeds(core.store)
    source = await core.store.analyses.by_url(RATE_CUT)
    assert source is not None
    (reply,) = await core.handle(Request("related", str(source.id), CONSOLE, "me"))
    assert reply.kind == "related"
    items = [b for b in reply.blocks if isinstance(b, Item)]
    assert 1 <= len(items) <= 5
    assert source.id not in {i.analysis_id for i in items}
    assert "shares Bank of Norland" in items[0].meta
    assert items[0].title == "Norland's central bank stops raising rates, but is not ready to cut"


async def test_related_as_a_reply_to_an_analysis(core: Core) -> None:
    await import_seeds(core.store)
    source = await core.store.analyses.by_url(RATE_CUT)
    assert source is not None
    request = Request("related", "", CONSOLE, "me", reply_to=source.id)
    (reply,) = await core.handle(request)
    assert reply.kind == "related"
    assert reply.analysis_id == source.id


async def test_console_related_prints_reasons_and_open_commands(core: Core) -> None:
    await import_seeds(core.store)
    source = await core.store.analyses.by_url(RATE_CUT)
    assert source is not None
    out = io.StringIO()
    adapter = ConsoleAdapter(
        core,
        stdin=io.StringIO(f"/related {source.id}\n/quit\n"),
        console=Console(file=out, width=200, color_system=None),
    )
    await adapter.repl()
    text = out.getvalue()
    assert "Related to: Bank of Norland cuts rates" in text
    assert "shares Bank of Norland, Ingrid Halvorsen, Tomas Erikstad" in text
    assert "/show " in text


async def test_a_story_with_no_mates_gets_nothing_related_yet(core: Core) -> None:
    await import_seeds(core.store)
    url = "https://news.example/sports/harbour-marathon-course-record"
    article = Article(url, url, "Teenager breaks the harbour marathon course record", "x", 40)
    draft = Draft(
        headline="Teenager breaks the harbour marathon course record in Velden",
        dek="A nineteen-year-old won the harbour marathon in a record time, becoming the"
        " youngest winner of the race, which starts and ends at the port.",
        category="Sports",
        sections=(Section("The race", ("Solberg broke away at the thirtieth kilometre.",)),),
        tags=("Mira Solberg", "Velden harbour marathon"),
        language="en",
        generator=Generator("offline", "test", "t1"),
    )
    source = await core.store.analyses.save(article, draft)
    (reply,) = await core.handle(Request("related", str(source.id), CONSOLE, "me"))
    assert not [b for b in reply.blocks if isinstance(b, Item)]
    assert "Nothing related yet" in str(reply)
