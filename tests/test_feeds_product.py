"""Feeds in the product, through the core's typed methods: operator actions with their
errors, config sync, stories in analysis JSON, replies and digests, the `feeds` role.

Real local servers only: the feed server, the article site, the offline analyser.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, chosen_roles
from bot.cli.doctor import run_checks
from bot.cli.output import analysis_json, feed_json, poll_json
from bot.config import Config
from bot.core import Core
from bot.digests.content import ranked
from bot.errors import BadArguments, NotFound
from bot.ingest.feeds.policy import FeedState
from bot.ingest.feeds.runner import FeedRunner
from bot.models import Group, Paragraph
from bot.models import Item as ModelItem
from bot.store import Store
from tests.support.digests import Clock, add_analysis, utc
from tests.support.feed_server import FeedServer, Item, rss
from tests.support.site import Site

LABELLED = Path(__file__).parent / "fixtures" / "stories" / "articles.toml"
STRIKE = (1, 2, 3)  # one event (the Valmora strike), told by three outlets
OTHERS = (4, 31)  # another event, and a decoy: the same port, a different strike


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = await FeedServer().start()
    try:
        yield server
    finally:
        await server.close()


def outlet_page(title: str, text: str, published: str, outlet: str) -> bytes:
    """An article page that names its outlet (og:site_name), as real outlets do."""
    paragraphs = "".join(f"<p>{escape(s.strip())}.</p>" for s in text.split(". ") if s.strip())
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<meta property="og:site_name" content="{escape(outlet)}">'
        f'<meta property="article:published_time" content="{escape(published)}">'
        f"</head><body><article><h1>{escape(title)}</h1>{paragraphs}</article></body></html>"
    ).encode()


def serve_outlets(server: FeedServer, site: Site, ids: tuple[int, ...]) -> list[str]:
    """One feed per labelled article (each its own outlet); the feeds' URLs."""
    labelled = {a["id"]: a for a in tomllib.loads(LABELLED.read_text())["articles"]}
    urls = []
    for n in ids:
        art = labelled[n]
        page = outlet_page(art["title"], art["text"], art["published"], art["outlet"])
        link = site.add_page(f"/story{n}.html", page)
        when = datetime.fromisoformat(art["published"])
        urls.append(server.serve(f"/feed{n}.rss", rss([Item(art["title"], link, f"g{n}", when)])))
    return urls


def feeds_config(config: Config, **extra: Any) -> Config:
    return config.with_overrides(extract={"min_words": 30}, **extra)


@pytest.fixture
async def fcore(config: Config) -> AsyncIterator[Core]:
    """A core whose clock sits the afternoon after the labelled strike began."""
    core = await Core.open(feeds_config(config), clock=Clock(utc("2026-03-02 15:00")))
    try:
        yield core
    finally:
        await core.aclose()


# --- operator actions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "category", "every", "message"),
    [
        ("ftp://example.com/feed.xml", "", None, "http or https"),
        ("not a url", "", None, "http or https"),
        ("http:///nohost", "", None, "http or https"),
        ("http://127.0.0.1/feed.rss", "Gardening", None, "unknown category 'Gardening'"),
        ("http://127.0.0.1/feed.rss", "", 0, "--every must be at least 1"),
        ("http://127.0.0.1/feed.rss", "", -5, "--every must be at least 1"),
    ],
)
async def test_add_feed_refuses_bad_input_and_stores_nothing(
    core: Core, url: str, category: str, every: int | None, message: str
) -> None:
    with pytest.raises(BadArguments, match=message):
        await core.add_feed(url, category, every)
    assert await core.feeds() == []


async def test_add_list_remove(core: Core) -> None:
    feed = await core.add_feed("http://127.0.0.1/a.rss", "economy", 30)
    assert (feed.category, feed.every_min, feed.origin) == ("Economy", 30, "cli")
    [row] = [feed_json(f) for f in await core.feeds()]
    assert row == {
        "url": "http://127.0.0.1/a.rss", "name": "", "category": "Economy", "status": "new",
        "last_polled_at": None, "last_ok_at": None, "items_seen": 0, "error": "",
    }  # fmt: skip
    assert (await core.remove_feed("http://127.0.0.1/a.rss")).url == feed.url
    assert await core.feeds() == []


async def test_unknown_feeds_are_not_found(core: Core) -> None:
    with pytest.raises(NotFound, match=r"there is no feed 'http://127\.0\.0\.1/nope\.rss'"):
        await core.remove_feed("http://127.0.0.1/nope.rss")
    with pytest.raises(NotFound, match="there is no feed"):
        await core.poll_feeds("http://127.0.0.1/nope.rss")


async def test_config_feeds_are_synced_and_a_removed_one_stops_while_cli_feeds_stay(
    config: Config,
) -> None:
    two = _with_feeds(config, ["http://127.0.0.1/one.rss", "http://127.0.0.1/two.rss"])
    async with await Core.open(two) as core:
        await core.add_feed("http://127.0.0.1/mine.rss")
        origins = {f.url: f.origin for f in await core.feeds()}
    assert origins == {
        "http://127.0.0.1/one.rss": "config",
        "http://127.0.0.1/two.rss": "config",
        "http://127.0.0.1/mine.rss": "cli",
    }
    async with await Core.open(_with_feeds(config, ["http://127.0.0.1/two.rss"])) as core:
        urls = [f.url for f in await core.feeds()]
    assert urls == ["http://127.0.0.1/two.rss", "http://127.0.0.1/mine.rss"]


def _with_feeds(config: Config, urls: list[str]) -> Config:
    from dataclasses import replace

    from bot.config import FeedConfig

    return replace(config, feeds=tuple(FeedConfig(url=u, category="World") for u in urls))


# --- polling, stories, replies ------------------------------------------------------------


async def test_poll_now_analyses_and_files_one_story_with_its_sources(
    fcore: Core, feed_server: FeedServer, article_site: Site
) -> None:
    for url in serve_outlets(feed_server, article_site, STRIKE + OTHERS):
        await fcore.add_feed(url)
    report = await fcore.poll_feeds()
    data = poll_json(report)
    assert list(data)[:6] == [
        "feeds", "not_modified", "new_items", "analysed", "joined_stories", "failed",
    ]  # fmt: skip
    assert (data["feeds"], data["new_items"], data["analysed"], data["failed"]) == (5, 5, 5, 0)
    assert data["joined_stories"] == 2
    again = await fcore.poll_feeds()
    assert (again.not_modified, again.analysed) == (5, 0)
    first = await fcore.analysis(article_site.url("/story2.html"))
    story = await fcore.story(first)
    assert story is not None
    shown = analysis_json(first, story=story)["story"]
    assert shown["sources"][0]["url"] == first.source.url  # the analysed article first
    outlets = [s["publisher"] for s in shown["sources"]]
    assert outlets[0] == "The Ledger"
    assert sorted(outlets[1:]) == ["Coastal Daily", "Harbour Times"]
    assert set(shown["sources"][0]) == {"url", "publisher", "title", "published_at"}
    decoy = await fcore.analysis(article_site.url("/story31.html"))
    assert analysis_json(decoy, story=await fcore.story(decoy))["story"] is None


async def test_a_reply_names_the_other_outlets(
    fcore: Core, feed_server: FeedServer, article_site: Site
) -> None:
    for url in serve_outlets(feed_server, article_site, STRIKE):
        await fcore.add_feed(url)
    await fcore.poll_feeds()
    from bot.models import ChannelRef, Request

    first = await fcore.analysis(article_site.url("/story1.html"))
    [reply] = await fcore.handle(Request("show", str(first.id), ChannelRef("cli", "t"), "u"))
    texts = [b.text for b in reply.blocks if isinstance(b, Paragraph)]
    [also] = [t for t in texts if t.startswith("Also covered by: ")]
    assert sorted(also.removeprefix("Also covered by: ").split(", ")) == [
        "Coastal Daily",
        "The Ledger",
    ]


async def test_feed_items_are_paid_by_the_feed_budget(
    config: Config, feed_server: FeedServer, article_site: Site
) -> None:
    cfg = feeds_config(config, polling={"per_day": 2})
    async with await Core.open(cfg, clock=Clock(utc("2026-03-02 15:00"))) as core:
        for url in serve_outlets(feed_server, article_site, STRIKE):
            await core.add_feed(url)
        report = await core.poll_feeds()
        totals = await core.stats()
    assert (report.analysed, report.budget_reached) == (2, True)
    assert totals.analyses == 2


async def test_a_digest_lists_a_story_once_ranked_by_recency_and_outlets(store: Store) -> None:
    old = [
        await add_analysis(store, f"S{i}", "Economy", utc("2026-03-02 08:00")) for i in (1, 2, 3)
    ]
    fresh = await add_analysis(store, "Fresh", "Economy", utc("2026-03-02 12:00"))
    newest = await add_analysis(store, "Newest", "Economy", utc("2026-03-02 23:00"))
    entries = ranked([newest, fresh, *old], {a.id: 7 for a in old})
    # the story, 15 h old with two more outlets, ranks above a single 12 h old
    assert [(e[0].headline, len(e[1])) for e in entries] == [
        ("Newest", 0), ("S1", 2), ("Fresh", 0),
    ]  # fmt: skip


# --- the role ----------------------------------------------------------------------------


async def test_the_feeds_role_is_on_with_feeds_and_polls_until_stopped(
    config: Config, feed_server: FeedServer, article_site: Site
) -> None:
    assert "feeds" not in [r.name for r in chosen_roles(config)]
    [url] = serve_outlets(feed_server, article_site, (1,))
    cfg = feeds_config(_with_feeds(config, [url]))
    assert "feeds" in [r.name for r in chosen_roles(cfg)]
    async with App(cfg, only=["feeds"], seed=False) as app:
        [runner] = app.services
        assert isinstance(runner, FeedRunner)
        async with asyncio.timeout(10):
            while runner.rounds < 1:  # noqa: ASYNC110 - polled counter
                await asyncio.sleep(0.01)
        [feed] = await app.core.feeds()
    assert feed.items_seen == 1 and feed.state.status == "ok"


async def test_a_feed_added_by_the_cli_turns_the_role_on(config: Config) -> None:
    async with await Core.open(config) as core:
        await core.add_feed("http://127.0.0.1/x.rss")
    assert "feeds" in [r.name for r in chosen_roles(config)]


async def test_doctor_reports_feeds_with_failing_and_disabled_reasons(config: Config) -> None:
    async with await Core.open(config) as core:
        ok = await core.add_feed("http://127.0.0.1/ok.rss")
        gone = await core.add_feed("http://127.0.0.1/gone.rss")
        now = datetime(2026, 3, 2, tzinfo=UTC)
        disabled = FeedState(status="disabled", error="the feed is gone (410)", last_polled_at=now)
        await core.store.feeds.save_state(gone.id, disabled)
        del ok
    checks = {name: detail for name, _, detail in await run_checks(config)}
    assert checks["feeds"] == "2 feeds, 0 failing, 1 disabled"
    assert checks["feed disabled"] == "http://127.0.0.1/gone.rss: the feed is gone (410)"


async def test_digest_preview_lists_a_stored_story_once(
    fcore: Core, feed_server: FeedServer, article_site: Site
) -> None:
    for url in serve_outlets(feed_server, article_site, STRIKE):
        await fcore.add_feed(url)
    await fcore.poll_feeds()
    lead = await fcore.analysis(article_site.url("/story1.html"))
    preview = await fcore.digest_preview(category=lead.category)
    assert preview is not None
    [group] = preview.blocks
    assert isinstance(group, Group)
    [item] = group.blocks
    assert isinstance(item, ModelItem)
    assert "Also covered by:" in item.meta


# --- the command line, as an operator runs it ----------------------------------------------


async def test_cli_feeds_actions(
    tmp_path: Path, feed_server: FeedServer, article_site: Site
) -> None:
    from tests.test_cli import cli

    conf = tmp_path / "prism.toml"
    conf.write_text(
        f'[storage]\npath = "{tmp_path / "cli.db"}"\n'
        '[fetch]\nallow_networks = ["127.0.0.0/8"]\ntimeout_s = 5.0\n'
        "[extract]\nmin_words = 30\n"
    )
    c = ("--config", str(conf))
    code, out, _ = await cli("feeds", *c)
    assert code == 0 and all(a in out for a in ("list", "add", "remove", "poll"))
    code, _, err = await cli("feeds", "add", "ftp://x/feed", *c)
    assert code != 0 and err.startswith("prism-bot: usage: a feed URL must be an http or https")
    code, _, err = await cli("feeds", "add", "http://127.0.0.1/f.rss", "--every", "0", *c)
    assert code != 0 and "--every must be at least 1" in err
    code, _, err = await cli("feeds", "remove", "http://127.0.0.1/none.rss", *c)
    assert code != 0 and err.startswith("prism-bot: not-found: there is no feed")
    [url] = serve_outlets(feed_server, article_site, (1,))
    code, out, err = await cli("feeds", "add", url, "--category", "world", *c)
    assert code == 0, err
    code, out, err = await cli("feeds", "poll", "--json", *c)
    assert code == 0, err
    assert json.loads(out)["new_items"] == 1
    code, out, _ = await cli("feeds", "list", "--json", *c)
    [row] = json.loads(out)
    assert (row["url"], row["category"], row["status"], row["items_seen"]) == (
        url, "World", "ok", 1,
    )  # fmt: skip
    code, out, _ = await cli("feeds", "remove", url, *c)
    assert code == 0 and "feed removed" in out
