"""The core through its public entry point: a request in, replies out."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.config import Config
from bot.core import Core
from bot.models import ChannelRef, Group, Link, Paragraph, Request
from tests.support.bad_links import BLOCKED, FAST_FETCH, NOT_LINKS, REFUSED_KINDS, SITE_FAILURES
from tests.support.site import Site
from tests.support.stores import sqlite

CHAT = ChannelRef("test", "chat")


def request(command: str, text: str = "", user: str = "u1", **kw: object) -> Request:
    return Request(command, text, CHAT, user, **kw)  # type: ignore[arg-type]


async def stored_rows(core: Core) -> int:
    row = await sqlite(core.store).db.fetchone(
        "SELECT (SELECT count(*) FROM articles) + (SELECT count(*) FROM analyses)"
    )
    return int(row[0])


async def test_a_link_becomes_an_analysis(core: Core, article_site: Site) -> None:
    url = article_site.url("/slow/council?ms=1")
    [reply] = await core.handle(request("analyze", url))
    assert reply.kind == "analysis", reply.plain_text()
    assert reply.title and reply.meta and "min read" in reply.meta
    assert isinstance(reply.blocks[0], Paragraph) and reply.blocks[0].text
    groups = [b for b in reply.blocks if isinstance(b, Group)]
    assert 3 <= len(groups) <= 5
    assert isinstance(reply.blocks[-1], Link) and reply.blocks[-1].url == url
    assert reply.footer and "not an analysis" in reply.footer  # the offline label
    assert [a.kind for a in reply.actions] == ["related", "source", "useful", "inaccurate"]
    assert reply.category in core.config.categories.names


async def test_the_same_link_later_is_answered_from_the_store(
    core: Core, article_site: Site
) -> None:
    url = article_site.url("/slow/council?ms=1")
    [first] = await core.handle(request("analyze", url, user="alice"))
    [again] = await core.handle(request("message", f"look {url}#comments", user="bob"))
    assert again.analysis_id == first.analysis_id
    assert article_site.hits["/slow/council"] == 1


async def test_single_flight_100_requests_5_urls_5_fetches(
    any_core: Core, article_site: Site
) -> None:
    urls = [article_site.url(f"/slow/story-{n}?ms=150") for n in range(5)]
    requests = [request("analyze", urls[i % 5], user=f"user{i % 7}") for i in range(100)]
    answers = await asyncio.gather(*(any_core.handle(r) for r in requests))
    assert all(a[0].kind == "analysis" for a in answers)
    assert sum(article_site.hits[f"/slow/story-{n}"] for n in range(5)) == 5
    assert len({a[0].analysis_id for a in answers}) == 5


async def test_too_many_links_are_named_not_lost(core: Core, article_site: Site) -> None:
    urls = [article_site.url(f"/slow/s{n}?ms=1") for n in range(5)]
    replies = await core.handle(request("message", " and ".join(urls)))
    assert [r.kind for r in replies] == ["analysis"] * 3 + ["info"]
    assert all(u in replies[-1].plain_text() for u in urls[3:])


async def test_one_bad_link_does_not_lose_the_good_one(core: Core, article_site: Site) -> None:
    good, bad = article_site.url("/slow/fine?ms=1"), article_site.url("/404")
    replies = await core.handle(request("message", f"{bad} {good}"))
    assert [(r.kind, r.error) for r in replies] == [("error", "not-found"), ("analysis", None)]


async def test_each_error_of_a_multi_link_message_names_its_link(
    core: Core, article_site: Site
) -> None:
    missing, pdf = article_site.url("/404"), article_site.url("/doc.pdf")
    replies = await core.handle(request("message", f"{missing} {pdf}"))
    assert [r.plain_text().split(": ", 1)[0] for r in replies] == [missing, pdf]
    assert "(404)" in replies[0].plain_text()


async def test_not_links_get_a_specific_answer_and_store_nothing(core: Core) -> None:
    for text in NOT_LINKS:
        [reply] = await core.handle(request("analyze", text))
        assert (reply.kind, reply.error) == ("error", "not-a-link"), text
        assert reply.ephemeral
    assert await stored_rows(core) == 0


async def test_blocked_addresses_under_the_default_config(tmp_path: object) -> None:
    config = Config().with_overrides(storage={"path": f"{tmp_path}/blocked.db"})
    core = await Core.open(config)
    try:
        for url in BLOCKED:
            [reply] = await core.handle(request("analyze", url))
            assert reply.error in REFUSED_KINDS, (url, reply.plain_text())
            assert "\n" not in reply.plain_text()
        assert await stored_rows(core) == 0
    finally:
        await core.aclose()


async def test_the_default_config_refuses_the_local_site(
    tmp_path: object, article_site: Site
) -> None:
    config = Config().with_overrides(storage={"path": f"{tmp_path}/default.db"})
    core = await Core.open(config)
    try:
        [reply] = await core.handle(request("analyze", article_site.url("/slow/x?ms=1")))
    finally:
        await core.aclose()
    assert reply.error == "blocked"
    assert sum(article_site.hits.values()) == 0


async def test_site_failures_each_get_their_answer(config: Config, article_site: Site) -> None:
    core = await Core.open(config.with_overrides(fetch=FAST_FETCH))
    try:
        for path, kind in SITE_FAILURES:
            [reply] = await core.handle(request("analyze", article_site.url(path)))
            assert reply.error == kind, (path, reply.plain_text())
        assert await stored_rows(core) == 0
    finally:
        await core.aclose()


async def test_a_failed_link_is_remembered(core: Core, article_site: Site) -> None:
    url = article_site.url("/404")
    for _ in range(3):
        [reply] = await core.handle(request("analyze", url))
        assert reply.error == "not-found"
    assert article_site.hits["/404"] == 1


async def test_budget_per_user_per_hour(config: Config, article_site: Site) -> None:
    core = await Core.open(config.with_overrides(limits={"user_per_hour": 2}))
    try:
        urls = [article_site.url(f"/slow/b{n}?ms=1") for n in range(3)]
        first = [(await core.handle(request("analyze", u, user="eve")))[0] for u in urls]
        assert [r.kind for r in first] == ["analysis", "analysis", "error"]
        assert first[2].error == "budget" and "try again after" in first[2].plain_text()
        [cached] = await core.handle(request("analyze", urls[0], user="eve"))
        assert cached.kind == "analysis"  # stored answers never count
        [other] = await core.handle(request("analyze", urls[2], user="mallory"))
        assert other.kind == "analysis"
    finally:
        await core.aclose()


async def test_a_budget_of_zero_per_hour_allows_no_new_analysis(
    config: Config, article_site: Site
) -> None:
    core = await Core.open(config.with_overrides(limits={"user_per_hour": 0}))
    try:
        [reply] = await core.handle(request("analyze", article_site.url("/slow/z?ms=1")))
    finally:
        await core.aclose()
    assert reply.error == "budget" and "try again after" in reply.plain_text()
    assert article_site.hits["/slow/z"] == 0


async def test_budget_per_day_overall(config: Config, article_site: Site) -> None:
    core = await Core.open(config.with_overrides(limits={"global_per_day": 1}))
    try:
        await core.handle(request("analyze", article_site.url("/slow/d1?ms=1"), user="a"))
        [reply] = await core.handle(request("analyze", article_site.url("/slow/d2?ms=1"), user="b"))
    finally:
        await core.aclose()
    assert reply.error == "budget" and "daily budget" in reply.plain_text()


async def test_refresh_regenerates_in_place_without_fetching(
    core: Core, article_site: Site
) -> None:
    url = article_site.url("/slow/council?ms=1")
    first = await core.resolve(url, request("analyze", url))
    again = await core.resolve(url, request("analyze", url), refresh=True)
    assert again.analysis.id == first.analysis.id
    assert not again.cached
    assert article_site.hits["/slow/council"] == 1


async def test_show_and_start_deep_link(core: Core, article_site: Site) -> None:
    [made] = await core.handle(request("analyze", article_site.url("/slow/x?ms=1")))
    [shown] = await core.handle(request("show", str(made.analysis_id)))
    [linked] = await core.handle(request("start", f"a_{made.analysis_id}"))
    assert shown.analysis_id == linked.analysis_id == made.analysis_id
    [missing] = await core.handle(request("show", "999"))
    assert missing.error == "not-found"


async def test_messages_without_links(core: Core) -> None:
    [hint] = await core.handle(request("message", "hi there", is_private=True))
    assert hint.kind == "info" and "link" in hint.plain_text()
    assert await core.handle(request("message", "hi all", is_private=False)) == []


async def test_help_lists_every_visible_command(core: Core) -> None:
    [reply] = await core.handle(request("help"))
    text = reply.plain_text()
    for name in ("/analyze", "/related", "/subscribe", "/digest", "/categories"):
        assert name in text
    assert "/show <id>" in text  # issue 11: every answer mentions /show, so /help does
    assert "/thought" not in text  # buttons' command stays out of help


async def test_analyse_is_an_alias_of_analyze(core: Core, article_site: Site) -> None:
    [reply] = await core.handle(request("analyse", article_site.url("/slow/alias?ms=1")))
    assert reply.kind == "analysis"


async def test_unknown_command_and_missing_argument(core: Core) -> None:
    [unknown] = await core.handle(request("frobnicate"))
    assert unknown.error == "usage" and "/help" in unknown.plain_text()
    [empty] = await core.handle(request("analyze", ""))
    assert empty.error == "usage"
    [related] = await core.handle(request("related", ""))
    assert related.error == "usage"


async def test_subscribe_needs_admin_rights(core: Core) -> None:
    [refused] = await core.handle(request("subscribe", "Economy", is_admin=False))
    assert refused.error == "forbidden"
    rows = await sqlite(core.store).db.fetchall("SELECT * FROM subscriptions")
    assert rows == []


async def test_categories_lists_the_configured_names(core: Core) -> None:
    [reply] = await core.handle(request("categories"))
    assert all(name in reply.plain_text() for name in core.config.categories.names)
    assert "0 analyses" in reply.plain_text()


async def test_new_analyses_get_embeddings_when_an_embedder_is_set(
    config: Config, article_site: Site
) -> None:
    from tests.support.embedders import HashingEmbedder

    embedded: list[str] = []

    class Counting(HashingEmbedder):
        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            embedded.extend(texts)
            return super().embed(texts)

    core = await Core.open(config, embedder=Counting())
    try:
        url = article_site.url("/slow/e1?ms=50")
        answers = await asyncio.gather(*(core.handle(request("analyze", url)) for _ in range(10)))
        rows = await sqlite(core.store).db.fetchall("SELECT analysis_id FROM analysis_embeddings")
    finally:
        await core.aclose()
    assert [r[0] for r in rows] == [answers[0][0].analysis_id]
    assert len(embedded) == 1  # once per analysis, not once per waiting request


async def test_the_negative_cache_stays_bounded(
    core: Core, article_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.ingest.resolver.MAX_REMEMBERED", 3)
    for n in range(5):
        [reply] = await core.handle(request("analyze", article_site.url(f"/404?n={n}")))
        assert reply.error == "not-found"
    assert len(core.resolver._failed) == 3
    [again] = await core.handle(request("analyze", article_site.url("/404?n=4")))
    assert again.error == "not-found"
    assert article_site.hits["/404"] == 5  # the newest failure is still remembered


async def test_an_amp_page_of_a_known_article_is_not_a_new_generation(
    core: Core, article_site: Site
) -> None:
    normal = article_site.page_url("economy-housing")
    amp = article_site.page_url("economy-housing-amp")
    first = await core.resolve(normal, request("analyze", normal))
    again = await core.resolve(amp, request("analyze", amp))
    assert again.analysis.id == first.analysis.id
    assert again.cached and not first.cached
    assert (await core.store.usage.totals()).generations == 1
