"""Feeds with their polling state, the items each has shown, and stories.

A poll is recorded in one transaction (the feed's new state plus every item it took),
so a poll that fails half-way leaves nothing behind but the failure itself.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from bot.ingest.feeds.policy import FeedState
from bot.store.analyses import iso
from bot.store.db import Database

Origin = Literal["config", "cli"]


@dataclass(frozen=True, slots=True)
class Feed:
    """One stored feed: what it is (url, name, category…) and its polling state."""

    id: int
    url: str
    name: str
    category: str
    language: str
    every_min: int  # 0 = [polling] every_min
    origin: Origin
    state: FeedState
    items_seen: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SeenItem:
    """An item a poll took: analysed (analysis_id), or refused/failed (error)."""

    guid: str
    link: str
    title: str
    published_at: datetime | None
    analysis_id: int | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class StoryMember:
    """An analysis in a story, with what the story index needs to rebuild itself."""

    story_id: int
    analysis_id: int
    signature: bytes
    published_at: datetime


class FeedRepo:
    """Every statement about feeds, feed items and stories."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- feeds -------------------------------------------------------------------------

    async def add(
        self,
        url: str,
        now: datetime,
        *,
        name: str = "",
        category: str = "",
        language: str = "",
        every_min: int = 0,
        origin: Origin = "cli",
    ) -> Feed:
        """Add a feed or update what it is; its polling state is kept."""
        await self.db.execute(
            "INSERT INTO feeds (url, name, category, language, every_min, origin, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET name = excluded.name,"
            " category = excluded.category, language = excluded.language,"
            " every_min = excluded.every_min, origin = excluded.origin",
            (url, name, category, language, every_min, origin, iso(now)),
        )
        feed = await self.get(url)
        assert feed is not None
        return feed

    async def remove(self, url: str) -> bool:
        """Forget a feed and the items it showed (analyses stay); False if unknown."""
        return await self.db.execute("DELETE FROM feeds WHERE url = ?", (url,)) > 0

    async def get(self, url: str) -> Feed | None:
        """The feed stored under `url`, if any."""
        row = await self.db.fetchmaybe("SELECT * FROM feeds WHERE url = ?", (url,))
        return _feed(row) if row else None

    async def all(self) -> list[Feed]:
        """Every stored feed, oldest first."""
        return [_feed(r) for r in await self.db.fetchall("SELECT * FROM feeds ORDER BY id")]

    async def due(self, now: datetime, limit: int = 10_000) -> list[Feed]:
        """Feeds not disabled whose next poll time has come, the longest-waiting first."""
        rows = await self.db.fetchall(
            "SELECT * FROM feeds WHERE status != 'disabled'"
            " AND (next_poll_at IS NULL OR next_poll_at <= ?)"
            " ORDER BY next_poll_at IS NOT NULL, next_poll_at, id LIMIT ?",
            (iso(now), limit),
        )
        return [_feed(r) for r in rows]

    async def save_state(self, feed_id: int, state: FeedState) -> None:
        """A poll that took no items (304, failure): only the state changes."""
        async with self.db.transaction() as conn:
            await _update_state(conn, feed_id, state, 0)

    async def save_states(self, states: Sequence[tuple[int, FeedState]]) -> None:
        """Many feeds' states in one transaction (a round's 304s: cheap to batch)."""
        async with self.db.write() as conn:
            for feed_id, state in states:
                await _update_state(conn, feed_id, state, 0)

    async def record_poll(
        self, feed_id: int, state: FeedState, items: Sequence[SeenItem], now: datetime
    ) -> None:
        """The new state and every item taken, in one transaction."""
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO feed_items (feed_id, guid, link, title, published_at,"
                " analysis_id, error, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_item_row(feed_id, item, now) for item in items],
            )
            await _update_state(conn, feed_id, state, len(items))

    # --- items -------------------------------------------------------------------------

    async def known(
        self, feed_id: int, guids: Iterable[str], links: Iterable[str]
    ) -> tuple[set[str], set[str]]:
        """Which of these GUIDs and canonical links the feed has already shown."""
        guid_list, link_list = list(guids), list(links)
        seen_guids = await self._matching(feed_id, "guid", guid_list)
        seen_links = await self._matching(feed_id, "link", link_list)
        return seen_guids, seen_links

    async def _matching(self, feed_id: int, column: str, values: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(values), 500):  # SQLite's parameter limit
            chunk = values[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self.db.fetchall(
                f"SELECT {column} FROM feed_items WHERE feed_id = ? AND {column} IN ({marks})",
                (feed_id, *chunk),
            )
            found.update(str(r[0]) for r in rows)
        return found

    async def analysed_since(self, since: datetime) -> int:
        """Feed items analysed since `since` (the `[polling] per_day` budget)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM feed_items WHERE analysis_id IS NOT NULL AND seen_at >= ?",
            (iso(since),),
        )
        return int(row[0])

    async def items(self, feed_id: int) -> list[SeenItem]:
        """Every item a feed has shown, oldest first (tests, `feeds list`)."""
        rows = await self.db.fetchall(
            "SELECT * FROM feed_items WHERE feed_id = ? ORDER BY seen_at, guid", (feed_id,)
        )
        return [_seen(r) for r in rows]

    # --- stories -----------------------------------------------------------------------

    async def join_story(
        self,
        analysis_id: int,
        story_id: int | None,
        signature: bytes,
        published_at: datetime,
        now: datetime,
    ) -> int:
        """Put an analysis in a story (a new one when `story_id` is None); its id."""
        async with self.db.write() as conn:
            if story_id is None:
                cur = await conn.execute(
                    "INSERT INTO stories (created_at, updated_at) VALUES (?, ?)",
                    (iso(now), iso(now)),
                )
                assert cur.lastrowid is not None
                story_id = cur.lastrowid
            else:
                await conn.execute(
                    "UPDATE stories SET updated_at = ? WHERE id = ?", (iso(now), story_id)
                )
            await conn.execute(
                "INSERT OR REPLACE INTO story_members (analysis_id, story_id, signature,"
                " published_at, joined_at) VALUES (?, ?, ?, ?, ?)",
                (analysis_id, story_id, signature, iso(published_at), iso(now)),
            )
        return story_id

    async def story_of(self, analysis_id: int) -> tuple[int, list[int]] | None:
        """The story an analysis belongs to and its members, earliest first."""
        row = await self.db.fetchmaybe(
            "SELECT story_id FROM story_members WHERE analysis_id = ?", (analysis_id,)
        )
        if row is None:
            return None
        members = await self.db.fetchall(
            "SELECT analysis_id FROM story_members WHERE story_id = ?"
            " ORDER BY published_at, analysis_id",
            (row[0],),
        )
        return int(row[0]), [int(m[0]) for m in members]

    async def stories_of(self, analysis_ids: Sequence[int]) -> dict[int, int]:
        """The story of each analysis that has one (digests list a story once)."""
        found: dict[int, int] = {}
        ids = list(analysis_ids)
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            rows = await self.db.fetchall(
                "SELECT analysis_id, story_id FROM story_members"
                f" WHERE analysis_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((int(r[0]), int(r[1])) for r in rows)
        return found

    async def members_since(self, since: datetime) -> list[StoryMember]:
        """Story members published since `since`: what the story index reloads at start."""
        rows = await self.db.fetchall(
            "SELECT * FROM story_members WHERE published_at >= ? ORDER BY published_at",
            (iso(since),),
        )
        return [
            StoryMember(
                int(r["story_id"]),
                int(r["analysis_id"]),
                bytes(r["signature"]),
                datetime.fromisoformat(r["published_at"]),
            )
            for r in rows
        ]


def has_stored_feeds(path: str | Path) -> bool:
    """Whether the SQLite file at `path` holds a feed not disabled (read-only, at start-up,
    before any loop runs: it decides whether a process runs the `feeds` role)."""
    file = Path(path)
    if not file.is_file():
        return False
    try:
        with contextlib.closing(
            sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        ) as conn:
            row = conn.execute("SELECT 1 FROM feeds WHERE status != 'disabled' LIMIT 1").fetchone()
    except sqlite3.Error:  # no feeds table yet, or not a database: nothing to poll
        return False
    return row is not None


async def _update_state(
    conn: aiosqlite.Connection, feed_id: int, state: FeedState, new_items: int
) -> None:
    await conn.execute(
        "UPDATE feeds SET status = ?, etag = ?, last_modified = ?, next_poll_at = ?,"
        " last_polled_at = ?, last_ok_at = ?, failing_since = ?, failures = ?, error = ?,"
        " items_seen = items_seen + ? WHERE id = ?",
        (
            state.status,
            state.etag,
            state.last_modified,
            _iso_or_none(state.next_poll_at),
            _iso_or_none(state.last_polled_at),
            _iso_or_none(state.last_ok_at),
            _iso_or_none(state.failing_since),
            state.failures,
            state.error[:300],
            new_items,
            feed_id,
        ),
    )


def _item_row(feed_id: int, item: SeenItem, now: datetime) -> tuple[Any, ...]:
    published = _iso_or_none(item.published_at)
    return (feed_id, item.guid, item.link, item.title, published, item.analysis_id,
            item.error[:300], iso(now))  # fmt: skip


def _iso_or_none(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _feed(row: aiosqlite.Row) -> Feed:
    state = FeedState(
        status=row["status"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_poll_at=_when(row["next_poll_at"]),
        last_polled_at=_when(row["last_polled_at"]),
        last_ok_at=_when(row["last_ok_at"]),
        failing_since=_when(row["failing_since"]),
        failures=int(row["failures"]),
        error=row["error"],
    )
    return Feed(
        id=int(row["id"]),
        url=row["url"],
        name=row["name"],
        category=row["category"],
        language=row["language"],
        every_min=int(row["every_min"]),
        origin=row["origin"],
        state=state,
        items_seen=int(row["items_seen"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _seen(row: aiosqlite.Row) -> SeenItem:
    return SeenItem(
        guid=row["guid"],
        link=row["link"],
        title=row["title"],
        published_at=_when(row["published_at"]),
        analysis_id=row["analysis_id"],
        error=row["error"],
    )
