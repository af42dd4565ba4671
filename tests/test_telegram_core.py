"""Telegram with the real core: links become analyses, failures get their answers,
digests reach chats (and leave chats that blocked the bot or moved)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.telegram_adapter import TelegramAdapter
from bot.config import Config
from bot.core import Core
from bot.digests.delivery import DeliveryReport
from bot.models import Article, ChannelRef, Draft, Generator, Request, Section
from bot.store import iso, utcnow
from tests.support.bad_links import BLOCKED, FAST_FETCH, NOT_LINKS, SITE_FAILURES
from tests.support.site import Site, article_site
from tests.support.stores import sqlite
from tests.support.telegram_server import (
    BotApiServer,
    blocked,
    bot_api,
    chat,
    migrated,
    user,
)
from tests.test_telegram import tg_config

__all__ = ["article_site", "bot_api"]  # fixtures, used by name

ALICE = user(501, "Alice")
GROUP = chat(-1001234, "supergroup", "Newsroom")


@pytest.fixture
async def tg(config: Config, bot_api: BotApiServer, core: Core) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(tg_config(config, bot_api), core, typing_every=0.05)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


async def ask(server: BotApiServer, chat_id: int, text: str, who: dict[str, object]) -> str:
    """Send `text` from `who` in a private chat; the visible text of the first answer."""
    before = len(server.sent_to(chat_id))
    server.push_message(chat(chat_id), text, who)
    await server.wait_for(lambda: len(server.sent_to(chat_id)) > before, within=20)
    return str(server.sent_to(chat_id)[before]["text"])


def lines(text: str) -> list[str]:
    """Visible lines, blank ones aside: Telegram parts put blank lines between blocks."""
    return [line for line in text.splitlines() if line.strip()]


async def test_a_link_gets_typing_then_the_analysis(
    tg: TelegramAdapter, bot_api: BotApiServer, core: Core, article_site: Site
) -> None:
    url = article_site.page_url("economy-rates")
    bot_api.push_message(chat(501), f"what about {url}", ALICE)
    await bot_api.wait_for(lambda: bool(bot_api.sent), within=20)
    methods = [c.method for c in bot_api.calls]
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert bot_api.calls_to("sendChatAction")[0].params["action"] == "typing"
    stored = await core.store.analyses.by_url(url)
    assert stored is not None
    (message,) = bot_api.sent
    assert message["text"].startswith(stored.headline + "\n\n" + stored.category)
    assert stored.dek in message["text"]
    buttons = message["reply_markup"]["inline_keyboard"][0]
    assert buttons[0] == {"text": "Related", "callback_data": f"related:{stored.id}"}
    assert buttons[1]["url"] == url
    (call,) = bot_api.calls_to("sendMessage")
    assert call.params["text"].startswith(f"<b>{stored.headline}</b>")


async def test_title_with_markup_is_escaped(
    tg: TelegramAdapter, bot_api: BotApiServer, article_site: Site
) -> None:
    title = 'Why <b> & "<" still break old email clients'
    text = await ask(bot_api, 501, article_site.page_url("tech-email-markup"), ALICE)
    assert text.startswith(title)
    html_text = bot_api.calls_to("sendMessage")[0].params["text"]
    assert '<b>Why &lt;b&gt; &amp; "&lt;" still break old email clients</b>' in html_text


async def test_the_same_link_from_50_users_is_generated_once(
    tg: TelegramAdapter, bot_api: BotApiServer, article_site: Site
) -> None:
    url = article_site.url("/slow/breaking?ms=300")
    for n in range(50):
        bot_api.push_message(chat(1000 + n), url, user(1000 + n))
    await bot_api.wait_for(lambda: len(bot_api.sent) == 50, within=30)
    assert article_site.hits["/slow/breaking"] == 1
    assert {m["chat"]["id"] for m in bot_api.sent} == set(range(1000, 1050))
    assert (
        len({m["reply_markup"]["inline_keyboard"][0][0]["callback_data"] for m in bot_api.sent})
        == 1
    )


async def store_long_analysis(core: Core, paragraphs: int = 24) -> int:
    """An analysis far over 4096 characters, saved as the resolver would save it."""
    para = "Officials expect the harbour line to carry twelve thousand riders a day. " * 8
    article = Article(
        url="https://news.example/long",
        canonical_url="https://news.example/long",
        title="A long story",
        text=para,
        words=100,
    )
    draft = Draft(
        headline="A long story & more",
        dek="The lead.",
        category="Economy",
        sections=tuple(Section(f"Part {n}", tuple([para] * (paragraphs // 4))) for n in range(4)),
        tags=("harbour",),
        language="en",
        generator=Generator("offline", "extract", "v1"),
    )
    saved = await core.store.analyses.save(article, draft, (article.url,))
    return saved.id


async def test_a_long_analysis_is_split_in_valid_parts_with_buttons_last(
    tg: TelegramAdapter, bot_api: BotApiServer, core: Core
) -> None:
    ident = await store_long_analysis(core)
    bot_api.push_message(chat(501), f"/start a_{ident}", ALICE)
    await bot_api.wait_for(lambda: bool(bot_api.sent), within=10)
    await asyncio.sleep(0.2)  # let every part arrive
    parts = bot_api.sent
    assert len(parts) >= 3
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert parts[0]["text"].startswith("A long story & more")
    assert ["reply_markup" in p for p in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"related:{ident}"
    whole = "\n\n".join(p["text"] for p in parts)
    assert whole.count("Officials expect") == 8 * 24  # every paragraph, once


async def test_related_button_and_related_as_a_reply(
    tg: TelegramAdapter, bot_api: BotApiServer, core: Core, article_site: Site
) -> None:
    await ask(bot_api, 501, article_site.page_url("economy-wages"), ALICE)
    await ask(bot_api, 501, article_site.page_url("economy-food-prices"), ALICE)
    shown = bot_api.sent[-1]
    ident = int(shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[1])
    source = await core.store.analyses.by_id(ident)
    assert source is not None
    expected = await core.handle(
        Request("related", str(ident), ChannelRef("telegram", "501"), "501", True, True)
    )
    bot_api.push_callback(ALICE, shown, f"related:{ident}")
    await bot_api.wait_for(lambda: len(bot_api.sent) == 3, within=10)
    assert bot_api.sent[2]["text"].startswith(expected[0].title or "")
    assert source.headline in bot_api.sent[2]["text"]
    text = await ask(bot_api, 501, "/related", ALICE)  # not a reply: usage
    assert text.lower().startswith("usage: /related")
    bot_api.push_message(chat(501), "/related", ALICE, reply_to_message=shown)
    await bot_api.wait_for(lambda: len(bot_api.sent) == 5, within=10)
    assert bot_api.sent[4]["text"] == bot_api.sent[2]["text"]


async def test_subscribe_needs_an_admin_in_groups(
    tg: TelegramAdapter, bot_api: BotApiServer, core: Core
) -> None:
    bot_api.push_message(GROUP, "/subscribe Economy 07:30", ALICE)
    await bot_api.wait_for(lambda: len(bot_api.sent) == 1)
    assert "only an admin of this chat" in bot_api.sent[0]["text"].lower()
    assert await core.store.subscriptions.get(ChannelRef("telegram", str(GROUP["id"]))) is None
    bot_api.members[(GROUP["id"], ALICE["id"])] = "administrator"
    bot_api.push_message(GROUP, "/subscribe Economy 07:30", ALICE)
    await bot_api.wait_for(lambda: len(bot_api.sent) == 2)
    assert bot_api.sent[1]["text"].startswith("Subscribed")
    sub = await core.store.subscriptions.get(ChannelRef("telegram", str(GROUP["id"])))
    assert sub is not None and sub.categories == ("Economy",) and sub.time == "07:30"


async def test_bad_inputs_get_the_cores_specific_answer(
    config: Config, bot_api: BotApiServer
) -> None:
    """Default fetch settings: every address is refused before any connection."""
    strict = config.with_overrides(fetch={"allow_networks": []})
    core = await Core.open(strict)
    adapter = TelegramAdapter(tg_config(strict, bot_api), core)
    await adapter.start()
    try:
        for n, text in enumerate((*NOT_LINKS, *BLOCKED)):
            channel = ChannelRef("telegram", str(2000 + n))
            (expected,) = await core.handle(Request("message", text, channel, str(2000 + n)))
            answer = await ask(bot_api, 2000 + n, text, user(2000 + n))
            assert lines(answer) == lines(expected.plain_text()), text
            if text in BLOCKED:
                assert expected.error in ("blocked", "not-a-link"), text
    finally:
        await adapter.stop()
        await core.aclose()


async def test_site_failures_get_their_answers(
    config: Config, bot_api: BotApiServer, article_site: Site
) -> None:
    fast = config.with_overrides(fetch=FAST_FETCH)
    core = await Core.open(fast)
    adapter = TelegramAdapter(tg_config(fast, bot_api), core)
    await adapter.start()
    try:
        for n, (path, _) in enumerate(SITE_FAILURES):
            answer = await ask(bot_api, 3000 + n, article_site.url(path), user(3000 + n))
            # Asked again, the core answers from its negative cache: the same words.
            channel = ChannelRef("telegram", str(3000 + n))
            again = Request("message", article_site.url(path), channel, "x")
            (expected,) = await core.handle(again)
            # The kind itself is the core's business (tests/test_core.py); on a loaded
            # machine the bomb may hit the 1 s timeout first. Here: the user gets it.
            assert expected.kind == "error" and expected.error, path
            assert lines(answer) == lines(expected.plain_text()), path
    finally:
        await adapter.stop()
        await core.aclose()


# --- digests through send(): gone chats deactivate, moved chats are followed -------------


async def subscribe_group(server: BotApiServer, group_id: int) -> None:
    group = chat(group_id, "group" if group_id > -1000000000000 else "supergroup")
    server.members[(group_id, ALICE["id"])] = "creator"
    before = len(server.sent)
    server.push_message(group, "/subscribe Economy 08:00 UTC", ALICE)
    await server.wait_for(lambda: len(server.sent) > before)
    assert server.sent[-1]["text"].startswith("Subscribed")


async def due_pass(core: Core, adapter: TelegramAdapter, ident: int) -> DeliveryReport:
    """Run the digest pass at the next 08:00 UTC, with one fresh Economy analysis."""
    now = utcnow()
    due = now.replace(hour=8, minute=1, second=0, microsecond=0)
    if due <= now:
        due += timedelta(days=1)
    await sqlite(core.store).db.execute(
        "UPDATE analyses SET created_at = ? WHERE id = ?",
        (iso(due - timedelta(hours=1)), ident),
    )
    return await core.digests.send_due({"telegram": adapter}, now=due)


async def test_a_chat_that_blocked_the_bot_loses_its_subscription(
    tg: TelegramAdapter, bot_api: BotApiServer, core: Core
) -> None:
    await subscribe_group(bot_api, -4001)
    ident = await store_long_analysis(core, paragraphs=4)
    bot_api.fail("sendMessage", blocked())
    report = await due_pass(core, tg, ident)
    assert report.deactivated == ["telegram:-4001"]
    sub = await core.store.subscriptions.get(ChannelRef("telegram", "-4001"))
    assert sub is not None and sub.active is False


async def test_a_migrated_group_keeps_its_subscription_under_the_new_id(
    tg: TelegramAdapter, bot_api: BotApiServer, core: Core
) -> None:
    await subscribe_group(bot_api, -4002)
    ident = await store_long_analysis(core, paragraphs=4)
    failure = migrated(-1004002)
    failure.chat_id = -4002
    bot_api.fail("sendMessage", failure)
    report = await due_pass(core, tg, ident)
    assert report.moved == ["telegram:-4002 -> telegram:-1004002"]
    assert bot_api.sent_to(-1004002)  # the digest went to the new chat
    assert await core.store.subscriptions.get(ChannelRef("telegram", "-1004002")) is not None
