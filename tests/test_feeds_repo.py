"""The feed repository on both backends: the same calls, the same answers.

SQLite's FeedRepo and PostgreSQL's PgFeedRepo (skipped without a PostgreSQL server,
failed instead with REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.ingest.feeds.policy import FeedState
from bot.store import Store
from bot.store.feeds import SeenItem
from tests.store_contract.samples import article, draft

NOW = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A fresh store of each backend."""
    if request.param == "sqlite":
        opened: Any = await Store.open(tmp_path / "feeds.db")
    else:
        from bot.store.postgres.store import PgStore

        opened = await PgStore.open(request.getfixturevalue("pg_url"))
    try:
        yield opened
    finally:
        await opened.close()


async def analyses(store: Any, n: int) -> list[int]:
    return [(await store.analyses.save(article(i), draft())).id for i in range(1, n + 1)]


async def test_add_updates_what_a_feed_is_and_keeps_its_state(store: Any) -> None:
    repo = store.feeds
    feed = await repo.add("http://a.example/rss", NOW, name="A", category="World")
    assert (feed.url, feed.name, feed.category, feed.origin) == (
        "http://a.example/rss", "A", "World", "cli",
    )  # fmt: skip
    assert feed.state == FeedState() and feed.created_at == NOW.replace(microsecond=0)
    state = FeedState(status="ok", etag='"v1"', last_ok_at=NOW, last_polled_at=NOW,
                      next_poll_at=NOW + timedelta(minutes=15))  # fmt: skip
    await repo.save_state(feed.id, state)
    again = await repo.add("http://a.example/rss", NOW, name="B", origin="config")
    assert (again.id, again.name, again.origin, again.state) == (feed.id, "B", "config", state)
    assert [f.url for f in await repo.all()] == ["http://a.example/rss"]
    assert await repo.get("http://nope.example/") is None


async def test_due_skips_disabled_and_waiting_feeds(store: Any) -> None:
    repo = store.feeds
    new = await repo.add("http://new.example/", NOW)
    waiting = await repo.add("http://wait.example/", NOW)
    gone = await repo.add("http://gone.example/", NOW)
    await repo.save_states(
        [
            (waiting.id, FeedState(status="ok", next_poll_at=NOW + timedelta(hours=1))),
            (gone.id, FeedState(status="disabled", error="the feed is gone (410)")),
        ]
    )
    assert [f.id for f in await repo.due(NOW)] == [new.id]
    later = NOW + timedelta(hours=2)
    assert [f.id for f in await repo.due(later)] == [new.id, waiting.id]


async def test_a_poll_is_recorded_with_its_items_and_items_are_known(store: Any) -> None:
    repo = store.feeds
    [a1, a2] = await analyses(store, 2)
    feed = await repo.add("http://a.example/rss", NOW)
    items = [
        SeenItem("g1", "http://a.example/1", "One", NOW, analysis_id=a1),
        SeenItem("g2", "http://a.example/2", "Two", None, analysis_id=a2),
        SeenItem("g3", "http://a.example/3", "Three", None, error="blocked: private address"),
        SeenItem("g1", "http://a.example/1", "One again", NOW),  # a duplicate GUID: ignored
    ]
    await repo.record_poll(feed.id, FeedState(status="ok", last_ok_at=NOW), items, NOW)
    stored = await repo.get(feed.url)
    assert stored is not None and stored.items_seen == 4 and stored.state.status == "ok"
    assert [(i.guid, i.analysis_id, i.error) for i in await repo.items(feed.id)] == [
        ("g1", a1, ""), ("g2", a2, ""), ("g3", None, "blocked: private address"),
    ]  # fmt: skip
    guids, links = await repo.known(feed.id, ["g1", "gX"], ["http://a.example/3", "http://x/"])
    assert (guids, links) == ({"g1"}, {"http://a.example/3"})
    assert await repo.analysed_since(NOW - timedelta(hours=1)) == 2
    assert await repo.analysed_since(NOW + timedelta(hours=1)) == 0
    assert await repo.remove(feed.url) is True
    assert await repo.remove(feed.url) is False


async def test_stories_join_and_reload(store: Any) -> None:
    repo = store.feeds
    [a1, a2, a3] = await analyses(store, 3)
    story = await repo.join_story(a1, None, b"sig1", NOW, NOW)
    assert await repo.join_story(a2, story, b"sig2", NOW + timedelta(hours=1), NOW) == story
    alone = await repo.join_story(a3, None, b"sig3", NOW, NOW)
    assert alone != story
    assert await repo.story_of(a2) == (story, [a1, a2])
    assert await repo.stories_of([a1, a2, a3, 999]) == {a1: story, a2: story, a3: alone}
    members = await repo.members_since(NOW - timedelta(days=1))
    assert [(m.analysis_id, m.signature) for m in members][-1] == (a2, b"sig2")
    assert {m.published_at for m in members} == {NOW.replace(microsecond=0) + timedelta(hours=h)
                                                 for h in (0, 1)}  # fmt: skip
