"""Send pacing and handled updates shared by every process on one database (PostgreSQL).

The same GCRA line as bot/store/pacing.py: one upsert takes the key's row lock, moves
its `tat` on by a block of slots and returns it, so concurrent reservations queue on
the row and never hand out the same slot twice.
"""

from __future__ import annotations

from bot.store.postgres.db import PgDatabase


class PgPacingRepo:
    """Blocks of send slots per key (platform and token hash), one row lock per reservation."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def reserve(self, key: str, now: float, interval: float, count: int) -> float:
        """Take the next `count` slots `interval` apart, none before `now`; the first one's time."""
        span = interval * count
        row = await self.db.fetchone(
            """INSERT INTO pacing(key, tat, updated_at) VALUES (%s, %s, %s)
               ON CONFLICT (key) DO UPDATE SET
                 tat = greatest(pacing.tat, excluded.updated_at) + %s,
                 updated_at = excluded.updated_at
               RETURNING tat""",
            (key, now + span, now, span),
        )
        return float(row["tat"]) - span


class PgUpdateLog:
    """`first(bot, update_id)` is True for exactly one caller across every process."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self._seen = 0

    async def first(self, bot: str, update_id: int, now: float, keep_s: float) -> bool:
        """Record the update as handled; False when some process recorded it already."""
        self._seen += 1
        if self._seen % 512 == 1:
            await self.db.execute(
                "DELETE FROM handled_updates WHERE handled_at < %s", (now - keep_s,)
            )
        changed = await self.db.execute(
            "INSERT INTO handled_updates(bot, update_id, handled_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (bot, update_id) DO NOTHING",
            (bot, update_id, now),
        )
        return changed > 0
