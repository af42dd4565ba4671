"""Readers' Thoughts: `useful` / `inaccurate`, one per reader per analysis."""

from __future__ import annotations

from bot.models import ThoughtKind, Thoughts
from bot.store.analyses import iso, utcnow
from bot.store.db import Database


class ThoughtRepo:
    """The thoughts table; a reader's new reaction replaces the old one."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def react(self, analysis_id: int, reader: str, kind: ThoughtKind) -> Thoughts:
        """Store (or change) one reader's reaction and return the new counts."""
        await self.db.execute(
            "INSERT INTO thoughts(analysis_id, reader, kind, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(analysis_id, reader) DO UPDATE SET kind = excluded.kind,"
            " at = excluded.at",
            (analysis_id, reader, kind, iso(utcnow())),
        )
        return await self.counts(analysis_id)

    async def counts(self, analysis_id: int) -> Thoughts:
        """The reaction counts of one analysis (zero when none)."""
        rows = await self.db.fetchall(
            "SELECT kind, count(*) FROM thoughts WHERE analysis_id = ? GROUP BY kind",
            (analysis_id,),
        )
        found = {str(r[0]): int(r[1]) for r in rows}
        return Thoughts(useful=found.get("useful", 0), inaccurate=found.get("inaccurate", 0))

    async def flagged(self, threshold: int) -> list[tuple[int, Thoughts]]:
        """Analyses with at least `threshold` `inaccurate` reactions, most flagged first."""
        rows = await self.db.fetchall(
            "SELECT analysis_id,"
            " sum(kind = 'useful') AS useful, sum(kind = 'inaccurate') AS inaccurate"
            " FROM thoughts GROUP BY analysis_id HAVING inaccurate >= ?"
            " ORDER BY inaccurate DESC, analysis_id",
            (threshold,),
        )
        return [(int(r[0]), Thoughts(int(r[1]), int(r[2]))) for r in rows]
