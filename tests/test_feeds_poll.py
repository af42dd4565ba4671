"""The poller end to end: the local feed server, the local article site, the real core.

Items are analysed by the real Resolver through `core.resolve` with the offline
analyser. Only 127.0.0.1 is allowed, so a link to 127.0.0.2 stands for an item
linking to a refused address while the test servers stay reachable.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Config, build_config
from bot.core import Core
from bot.ingest.feeds.poller import SKIPPED_FIRST, Poller, PollReport
from bot.ingest.fetch import Fetcher
from bot.models import Analysis, ChannelRef, Request
from bot.store.feeds import Feed
from bot.stories.service import Stories
from tests.support.feed_server import (
    HTML_PAGE,
    LAUGHS_FEED,
    MALFORMED_FEED,
    XXE_FEED,
    FeedServer,
    Item,
    article_page,
    json_feed,
    rss,
)
from tests.support.site import Site
from tests.support.stores import sqlite

STORIES = Path(__file__).parent / "fixtures" / "stories" / "articles.toml"
FEED_REQUEST = Request("feed", "", ChannelRef("feeds", "poller"), "feeds")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Only 127.0.0.1 is allowed; short articles are enough for these tests."""
    return build_config(
        {
            "storage": {"path": str(tmp_path / "prism.db")},
            "fetch": {"allow_networks": ["127.0.0.1/32"], "timeout_s": 5.0},
            "extract": {"min_words": 30},
            "polling": {"first_poll_items": 3, "max_items_per_poll": 4},
        },
        env={},
        source="tests",
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Harness:
    core: Core
    poller: Poller
    clock: Clock
    server: FeedServer
    site: Site

    async def add(self, path: str, **kw: object) -> Feed:
        return await sqlite(self.core.store).feeds.add(self.server.url(path), self.clock(), **kw)  # type: ignore[arg-type]

    async def feed(self, path: str) -> Feed:
        feed = await sqlite(self.core.store).feeds.get(self.server.url(path))
        assert feed is not None
        return feed

    async def poll(self, path: str) -> PollReport:
        return await self.poller.poll([await self.feed(path)])

    def article(self, name: str, title: str | None = None) -> str:
        text = (
            f"{title or name} was reported by the local desk on Tuesday morning. "
            f"Officials in the district of {name.title()} confirmed the details to reporters. "
            "The council said further information would follow after a meeting with residents. "
            "Local businesses expect the decision to affect trade over the coming months."
        )
        return self.site.add_page(f"/{name}.html", article_page(title or name, text))


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = await FeedServer().start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def harness(
    core: Core, config: Config, feed_server: FeedServer, article_site: Site
) -> AsyncIterator[Harness]:
    clock = Clock()
    fetcher = Fetcher(config.fetch)

    async def analyse(url: str, feed: Feed) -> Analysis | None:
        return (await core.resolve(url, FEED_REQUEST)).analysis

    stories = Stories(sqlite(core.store).feeds, clock)
    poller = Poller(
        sqlite(core.store).feeds, fetcher, config.polling, analyse, stories=stories, clock=clock,
        rng=random.Random(3),
    )  # fmt: skip
    try:
        yield Harness(core, poller, clock, feed_server, article_site)
    finally:
        await fetcher.aclose()


def dated(h: Harness, names: list[str]) -> list[Item]:
    """Items for these article names, the first one newest."""
    return [
        Item(f"Story {n}", h.article(n), f"guid-{n}", h.clock() - timedelta(hours=i + 1))
        for i, n in enumerate(names)
    ]


async def test_first_poll_takes_the_newest_items_then_304_costs_nothing(h: Harness) -> None:
    h.server.serve("/news.rss", rss(dated(h, ["a", "b", "c", "d", "e"])))
    await h.add("/news.rss", category="World")
    report = await h.poll("/news.rss")
    assert (report.new_items, report.analysed, report.failed) == (3, 3, 0)
    feed = await h.feed("/news.rss")
    assert feed.state.status == "ok" and feed.items_seen == 5
    items = {i.guid: i for i in await sqlite(h.core.store).feeds.items(feed.id)}
    assert [g for g, i in items.items() if i.analysis_id] == ["guid-a", "guid-b", "guid-c"]
    assert {items["guid-d"].error, items["guid-e"].error} == {SKIPPED_FIRST}
    assert h.site.hits["/d.html"] == 0

    h.clock.advance(hours=1)
    again = await h.poll("/news.rss")
    assert (again.not_modified, again.new_items, again.analysed) == (1, 0, 0)
    assert h.server.conditional[-1][1].startswith('"')  # If-None-Match was sent
    assert h.server.conditional[-1][2]  # and If-Modified-Since


async def test_a_first_poll_after_failures_still_takes_only_the_newest(h: Harness) -> None:
    h.server.serve_status("/late.rss", 503)
    await h.add("/late.rss")
    assert (await h.poll("/late.rss")).failed == 1
    h.server.serve("/late.rss", rss(dated(h, ["l1", "l2", "l3", "l4", "l5"])))
    assert (await h.poll("/late.rss")).analysed == 3


async def test_later_polls_take_new_items_up_to_max_items_per_poll(h: Harness) -> None:
    h.server.serve("/news.rss", rss(dated(h, ["a"])))
    await h.add("/news.rss")
    await h.poll("/news.rss")
    h.server.serve("/news.rss", rss(dated(h, ["n1", "n2", "n3", "n4", "n5", "n6", "a"])))
    report = await h.poll("/news.rss")
    assert (report.new_items, report.analysed) == (4, 4)
    assert h.site.hits["/n5.html"] == 0 and h.site.hits["/a.html"] == 1


async def test_json_feed_items_are_analysed(h: Harness) -> None:
    h.server.serve("/feed.json", json_feed(dated(h, ["j1", "j2"])), "application/feed+json")
    await h.add("/feed.json")
    assert (await h.poll("/feed.json")).analysed == 2


async def test_a_feed_rewriting_guids_on_every_request_does_not_repeat_work(h: Harness) -> None:
    h.server.serve_rotating("/rotating.rss", [h.article("r1"), h.article("r2")])
    await h.add("/rotating.rss")
    assert (await h.poll("/rotating.rss")).analysed == 2
    h.clock.advance(hours=1)
    report = await h.poll("/rotating.rss")
    assert (report.new_items, report.analysed) == (0, 0)
    assert h.site.hits["/r1.html"] == 1


async def test_duplicate_guids_and_items_without_links_are_taken_once(h: Harness) -> None:
    link = h.article("dup")
    items = [
        Item("One", link, "same"),
        Item("Two", h.article("dup2"), "same"),
        Item("No link", None, "x"),
    ]
    h.server.serve("/dups.rss", rss(items))
    await h.add("/dups.rss")
    report = await h.poll("/dups.rss")
    assert (report.new_items, report.analysed) == (1, 1)
    assert h.site.hits["/dup2.html"] == 0


async def test_an_item_linking_to_a_refused_address_is_recorded_with_its_reason(
    h: Harness,
) -> None:
    refused = h.site.url("/secret.html").replace("127.0.0.1", "127.0.0.2")
    h.server.serve("/mixed.rss", rss([Item("Bad", refused, "bad"), *dated(h, ["fine"])]))
    await h.add("/mixed.rss")
    report = await h.poll("/mixed.rss")
    assert (report.analysed, report.items_failed, report.failed) == (1, 1, 0)
    feed = await h.feed("/mixed.rss")
    bad = next(i for i in await sqlite(h.core.store).feeds.items(feed.id) if i.guid == "bad")
    assert bad.analysis_id is None and bad.error.startswith("blocked:")
    assert h.site.hits["/secret.html"] == 0


HOSTILE = [
    ("xxe", XXE_FEED, "declares XML entities"),
    ("laughs", LAUGHS_FEED, "declares XML entities"),
    ("malformed", MALFORMED_FEED, "not well-formed XML"),
    ("html", HTML_PAGE, "an HTML page, not a news feed"),
]


@pytest.mark.parametrize(("name", "body", "error"), HOSTILE, ids=[c[0] for c in HOSTILE])
async def test_hostile_feeds_fail_with_a_reason_and_store_no_items(
    h: Harness, name: str, body: bytes, error: str
) -> None:
    h.server.serve(f"/{name}", body)
    await h.add(f"/{name}")
    await expect_failure(h, f"/{name}", error)


async def test_a_sixty_megabyte_feed_is_cut_off_by_the_size_cap(h: Harness) -> None:
    h.server.serve_huge("/huge.rss")
    await h.add("/huge.rss")
    await expect_failure(h, "/huge.rss", "too large")


@pytest.mark.parametrize("target", ["http://10.0.0.1/feed", "http://127.0.0.2:9/feed"])
async def test_a_feed_redirecting_to_a_private_address_is_refused(h: Harness, target: str) -> None:
    h.server.serve_redirect("/moved.rss", target)
    await h.add("/moved.rss")
    await expect_failure(h, "/moved.rss", "private address|loopback address")


async def expect_failure(h: Harness, path: str, error: str) -> None:
    import re

    report = await h.poll(path)
    assert (report.failed, report.new_items, report.analysed) == (1, 0, 0)
    feed = await h.feed(path)
    assert feed.state.status == "failing" and re.search(error, feed.state.error)
    assert feed.items_seen == 0 and await sqlite(h.core.store).feeds.items(feed.id) == []
    assert feed.state.next_poll_at is not None and feed.state.next_poll_at > h.clock()


async def test_410_gone_disables_the_feed(h: Harness) -> None:
    h.server.serve_status("/gone.rss", 410)
    await h.add("/gone.rss")
    report = await h.poll("/gone.rss")
    assert report.disabled == [h.server.url("/gone.rss")]
    feed = await h.feed("/gone.rss")
    assert (feed.state.status, feed.state.error) == ("disabled", "the feed is gone (410)")
    h.clock.advance(days=30)
    assert await sqlite(h.core.store).feeds.due(h.clock()) == []


async def test_429_with_retry_after_waits_at_least_that_long(h: Harness) -> None:
    h.server.serve_status("/busy.rss", 429, {"Retry-After": "7200"})
    await h.add("/busy.rss")
    report = await h.poll("/busy.rss")
    assert report.failed == 1
    feed = await h.feed("/busy.rss")
    assert feed.state.status == "failing" and "(429)" in feed.state.error
    assert feed.state.next_poll_at is not None
    assert feed.state.next_poll_at - h.clock() >= timedelta(seconds=7200 * 0.9)
    assert await sqlite(h.core.store).feeds.due(h.clock() + timedelta(minutes=59)) == []


async def test_a_feed_failing_for_disable_after_days_is_disabled(h: Harness) -> None:
    h.server.serve_status("/down.rss", 500)
    await h.add("/down.rss")
    await h.poll("/down.rss")
    h.clock.advance(days=7)
    report = await h.poll("/down.rss")
    assert report.disabled == [h.server.url("/down.rss")]
    feed = await h.feed("/down.rss")
    assert feed.state.status == "disabled" and "failing since" in feed.state.error


async def test_ten_thousand_items_take_only_the_newest_and_remember_the_rest(h: Harness) -> None:
    items = [Item(f"I{n}", h.site.url(f"/bulk/{n}.html"), f"g{n}") for n in range(10_000)]
    items[:3] = dated(h, ["bulk0", "bulk1", "bulk2"])
    h.server.serve("/bulk.rss", rss(items))
    await h.add("/bulk.rss")
    report = await h.poll("/bulk.rss")
    assert (report.new_items, report.analysed) == (3, 3)
    assert (await h.feed("/bulk.rss")).items_seen == 10_000


async def test_the_daily_budget_stops_analysis_and_leaves_the_rest_for_later(
    h: Harness, config: Config
) -> None:
    h.poller.config = config.polling.__class__(per_day=2, first_poll_items=5)
    h.server.serve("/many.rss", rss(dated(h, ["m1", "m2", "m3", "m4"])))
    await h.add("/many.rss")
    report = await h.poll("/many.rss")
    assert (report.analysed, report.budget_reached) == (2, True)
    feed = await h.feed("/many.rss")
    assert feed.items_seen == 2 and feed.state.etag == "" and feed.state.status == "new"
    assert (await h.poll("/many.rss")).analysed == 0  # same day: nothing more
    h.clock.advance(days=1)
    assert (await h.poll("/many.rss")).analysed == 2


async def test_outlets_covering_one_event_join_one_story_and_a_decoy_stays_apart(
    h: Harness,
) -> None:
    labelled = {a["id"]: a for a in tomllib.loads(STORIES.read_text())["articles"]}
    for outlet, ids in (("one", [1, 31]), ("two", [2]), ("three", [3])):
        items = []
        for n in ids:
            art = labelled[n]
            page = article_page(art["title"], art["text"], art["published"])
            link = h.site.add_page(f"/story{n}.html", page)
            items.append(
                Item(art["title"], link, f"s{n}", datetime.fromisoformat(art["published"]))
            )
        h.server.serve(f"/{outlet}.rss", rss(items))
        await h.add(f"/{outlet}.rss")
    report = await h.poller.poll(await sqlite(h.core.store).feeds.all())
    assert (report.analysed, report.joined_stories) == (4, 2)
    by_item = {}
    for feed in await sqlite(h.core.store).feeds.all():
        for item in await sqlite(h.core.store).feeds.items(feed.id):
            assert item.analysis_id is not None
            story = await sqlite(h.core.store).feeds.story_of(item.analysis_id)
            assert story is not None
            by_item[item.guid] = story[0]
    assert by_item["s1"] == by_item["s2"] == by_item["s3"] != by_item["s31"]
    restarted = Stories(sqlite(h.core.store).feeds, lambda: datetime(2026, 3, 4, tzinfo=UTC))
    assert await restarted.load() == 4  # the index is rebuilt from stored signatures


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness
