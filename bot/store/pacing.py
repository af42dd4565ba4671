"""Send pacing shared by every process on one database (SQLite).

One row per bot token holds a GCRA's theoretical arrival time (`tat`): a process
reserves a block of `count` consecutive slots in one transaction and gets the first
slot's time back. The slots of every process come from the same line, so three
schedulers together send at the platform's rate, not three times it.

Beside it, the log of incoming updates already handled: several webhook processes
behind one load balancer answer each update once.
"""

from __future__ import annotations

from bot.store.db import Database


class PacingRepo:
    """Blocks of send slots per key (platform and token hash), claimed under BEGIN IMMEDIATE."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, key: str, now: float, interval: float, count: int) -> float:
        """Take the next `count` slots `interval` apart, none before `now`; the first one's time."""
        span = interval * count
        async with self.db.write(urgent=True) as conn:  # needed before its slots go by
            cur = await conn.execute(
                """INSERT INTO pacing(key, tat, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT(key) DO UPDATE SET
                     tat = max(pacing.tat, excluded.updated_at) + ?,
                     updated_at = excluded.updated_at
                   RETURNING tat""",
                (key, now + span, now, span),
            )
            row = await cur.fetchone()
        assert row is not None
        return float(row[0]) - span


PRUNE_EVERY = 512  # handled updates between two deletions of the expired ones


class UpdateLog:
    """`first(bot, update_id)` is True for exactly one caller across every process."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._seen = 0

    async def first(self, bot: str, update_id: int, now: float, keep_s: float) -> bool:
        """Record the update as handled; False when some process recorded it already."""
        self._seen += 1
        if self._seen % PRUNE_EVERY == 1:
            await self.db.execute(
                "DELETE FROM handled_updates WHERE handled_at < ?", (now - keep_s,)
            )
        changed = await self.db.execute(
            "INSERT INTO handled_updates(bot, update_id, handled_at) VALUES (?, ?, ?)"
            " ON CONFLICT(bot, update_id) DO NOTHING",
            (bot, update_id, now),
        )
        return changed > 0
