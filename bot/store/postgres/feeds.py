"""Feeds, feed items and stories on PostgreSQL: the FeedRepo contract of bot/store/feeds.py.

Times are timestamptz cut to the second (as SQLite's ISO text keeps them) and read back
in UTC, so both backends answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.ingest.feeds.policy import FeedState
from bot.store.feeds import Feed, Origin, SeenItem, StoryMember
from bot.store.postgres.db import Conn, PgDatabase


class PgFeedRepo:
    """Every statement about feeds, feed items and stories, on PostgreSQL."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

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
        row = await self.db.fetchone(
            "INSERT INTO feeds (url, name, category, language, every_min, origin, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (url) DO UPDATE SET"
            " name = excluded.name, category = excluded.category,"
            " language = excluded.language, every_min = excluded.every_min,"
            " origin = excluded.origin RETURNING *",
            (url, name, category, language, every_min, origin, _second(now)),
        )
        return _feed(row)

    async def remove(self, url: str) -> bool:
        """Forget a feed and the items it showed (analyses stay); False if unknown."""
        return await self.db.execute("DELETE FROM feeds WHERE url = %s", (url,)) > 0

    async def get(self, url: str) -> Feed | None:
        """The feed stored under `url`, if any."""
        row = await self.db.fetchmaybe("SELECT * FROM feeds WHERE url = %s", (url,))
        return _feed(row) if row else None

    async def all(self) -> list[Feed]:
        """Every stored feed, oldest first."""
        return [_feed(r) for r in await self.db.fetchall("SELECT * FROM feeds ORDER BY id")]

    async def due(self, now: datetime, limit: int = 10_000) -> list[Feed]:
        """Feeds not disabled whose next poll time has come, the longest-waiting first."""
        rows = await self.db.fetchall(
            "SELECT * FROM feeds WHERE status != 'disabled'"
            " AND (next_poll_at IS NULL OR next_poll_at <= %s)"
            " ORDER BY next_poll_at IS NOT NULL, next_poll_at, id LIMIT %s",
            (_second(now), limit),
        )
        return [_feed(r) for r in rows]

    async def save_state(self, feed_id: int, state: FeedState) -> None:
        """A poll that took no items (304, failure): only the state changes."""
        async with self.db.transaction() as conn:
            await _update_state(conn, feed_id, state, 0)

    async def save_states(self, states: Sequence[tuple[int, FeedState]]) -> None:
        """Many feeds' states in one transaction (a round's 304s)."""
        if not states:
            return
        async with self.db.transaction() as conn:
            for feed_id, state in states:
                await _update_state(conn, feed_id, state, 0)

    async def record_poll(
        self, feed_id: int, state: FeedState, items: Sequence[SeenItem], now: datetime
    ) -> None:
        """The new state and every item taken, in one transaction."""
        async with self.db.transaction() as conn:
            if items:
                async with conn.cursor() as cur:
                    await cur.executemany(
                        "INSERT INTO feed_items (feed_id, guid, link, title, published_at,"
                        " analysis_id, error, seen_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING",
                        [_item_row(feed_id, item, now) for item in items],
                    )
            await _update_state(conn, feed_id, state, len(items))

    async def known(
        self, feed_id: int, guids: Iterable[str], links: Iterable[str]
    ) -> tuple[set[str], set[str]]:
        """Which of these GUIDs and canonical links the feed has already shown."""
        guid_rows = await self.db.fetchall(
            "SELECT guid FROM feed_items WHERE feed_id = %s AND guid = ANY(%s)",
            (feed_id, list(guids)),
        )
        link_rows = await self.db.fetchall(
            "SELECT link FROM feed_items WHERE feed_id = %s AND link = ANY(%s)",
            (feed_id, list(links)),
        )
        return {str(r["guid"]) for r in guid_rows}, {str(r["link"]) for r in link_rows}

    async def analysed_since(self, since: datetime) -> int:
        """Feed items analysed since `since` (the `[polling] per_day` budget)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM feed_items WHERE analysis_id IS NOT NULL AND seen_at >= %s",
            (_second(since),),
        )
        return int(row["n"])

    async def items(self, feed_id: int) -> list[SeenItem]:
        """Every item a feed has shown, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM feed_items WHERE feed_id = %s ORDER BY seen_at, guid", (feed_id,)
        )
        return [_seen(r) for r in rows]

    async def join_story(
        self,
        analysis_id: int,
        story_id: int | None,
        signature: bytes,
        published_at: datetime,
        now: datetime,
    ) -> int:
        """Put an analysis in a story (a new one when `story_id` is None); its id."""
        at = _second(now)
        async with self.db.transaction() as conn:
            if story_id is None:
                cur = await conn.execute(
                    "INSERT INTO stories (created_at, updated_at) VALUES (%s, %s) RETURNING id",
                    (at, at),
                )
                row = await cur.fetchone()
                assert row is not None
                story_id = int(row["id"])
            else:
                await conn.execute(
                    "UPDATE stories SET updated_at = %s WHERE id = %s", (at, story_id)
                )
            await conn.execute(
                "INSERT INTO story_members (analysis_id, story_id, signature, published_at,"
                " joined_at) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (analysis_id) DO UPDATE"
                " SET story_id = excluded.story_id, signature = excluded.signature,"
                " published_at = excluded.published_at, joined_at = excluded.joined_at",
                (analysis_id, story_id, signature, _second(published_at), at),
            )
        return story_id

    async def story_of(self, analysis_id: int) -> tuple[int, list[int]] | None:
        """The story an analysis belongs to and its members, earliest first."""
        row = await self.db.fetchmaybe(
            "SELECT story_id FROM story_members WHERE analysis_id = %s", (analysis_id,)
        )
        if row is None:
            return None
        members = await self.db.fetchall(
            "SELECT analysis_id FROM story_members WHERE story_id = %s"
            " ORDER BY published_at, analysis_id",
            (row["story_id"],),
        )
        return int(row["story_id"]), [int(m["analysis_id"]) for m in members]

    async def stories_of(self, analysis_ids: Sequence[int]) -> dict[int, int]:
        """The story of each analysis that has one (digests list a story once)."""
        rows = await self.db.fetchall(
            "SELECT analysis_id, story_id FROM story_members WHERE analysis_id = ANY(%s)",
            (list(analysis_ids),),
        )
        return {int(r["analysis_id"]): int(r["story_id"]) for r in rows}

    async def members_since(self, since: datetime) -> list[StoryMember]:
        """Story members published since `since`: what the story index reloads at start."""
        rows = await self.db.fetchall(
            "SELECT * FROM story_members WHERE published_at >= %s ORDER BY published_at",
            (_second(since),),
        )
        return [
            StoryMember(
                int(r["story_id"]),
                int(r["analysis_id"]),
                bytes(r["signature"]),
                _utc(r["published_at"]),
            )
            for r in rows
        ]


async def _update_state(conn: Conn, feed_id: int, state: FeedState, new_items: int) -> None:
    await conn.execute(
        "UPDATE feeds SET status = %s, etag = %s, last_modified = %s, next_poll_at = %s,"
        " last_polled_at = %s, last_ok_at = %s, failing_since = %s, failures = %s,"
        " error = %s, items_seen = items_seen + %s WHERE id = %s",
        (
            state.status,
            state.etag,
            state.last_modified,
            _maybe(state.next_poll_at),
            _maybe(state.last_polled_at),
            _maybe(state.last_ok_at),
            _maybe(state.failing_since),
            state.failures,
            state.error[:300],
            new_items,
            feed_id,
        ),
    )


def _item_row(feed_id: int, item: SeenItem, now: datetime) -> tuple[Any, ...]:
    return (feed_id, item.guid, item.link, item.title, _maybe(item.published_at),
            item.analysis_id, item.error[:300], _second(now))  # fmt: skip


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _maybe(moment: datetime | None) -> datetime | None:
    return _second(moment) if moment is not None else None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _feed(row: dict[str, Any]) -> Feed:
    state = FeedState(
        status=row["status"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        next_poll_at=_utc_or_none(row["next_poll_at"]),
        last_polled_at=_utc_or_none(row["last_polled_at"]),
        last_ok_at=_utc_or_none(row["last_ok_at"]),
        failing_since=_utc_or_none(row["failing_since"]),
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
        created_at=_utc(row["created_at"]),
    )


def _seen(row: dict[str, Any]) -> SeenItem:
    return SeenItem(
        guid=row["guid"],
        link=row["link"],
        title=row["title"],
        published_at=_utc_or_none(row["published_at"]),
        analysis_id=row["analysis_id"],
        error=row["error"],
    )
