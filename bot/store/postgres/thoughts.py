"""Readers' Thoughts on PostgreSQL (migration 003), as bot/store/thoughts.py on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import ThoughtKind, Thoughts
from bot.store.postgres.db import PgDatabase


class PgThoughtRepo:
    """The thoughts table; a reader's new reaction replaces the old one."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def react(self, analysis_id: int, reader: str, kind: ThoughtKind) -> Thoughts:
        """Store (or change) one reader's reaction and return the new counts."""
        await self.db.execute(
            "INSERT INTO thoughts(analysis_id, reader, kind, at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (analysis_id, reader) DO UPDATE SET kind = excluded.kind,"
            " at = excluded.at",
            (analysis_id, reader, kind, datetime.now(UTC).replace(microsecond=0)),
            repeatable=True,
        )
        return await self.counts(analysis_id)

    async def counts(self, analysis_id: int) -> Thoughts:
        """The reaction counts of one analysis (zero when none)."""
        rows = await self.db.fetchall(
            "SELECT kind, count(*) AS n FROM thoughts WHERE analysis_id = %s GROUP BY kind",
            (analysis_id,),
        )
        found = {str(r["kind"]): int(r["n"]) for r in rows}
        return Thoughts(useful=found.get("useful", 0), inaccurate=found.get("inaccurate", 0))

    async def flagged(self, threshold: int) -> list[tuple[int, Thoughts]]:
        """Analyses with at least `threshold` `inaccurate` reactions, most flagged first."""
        rows = await self.db.fetchall(
            "SELECT analysis_id,"
            " count(*) FILTER (WHERE kind = 'useful') AS useful,"
            " count(*) FILTER (WHERE kind = 'inaccurate') AS inaccurate"
            " FROM thoughts GROUP BY analysis_id"
            " HAVING count(*) FILTER (WHERE kind = 'inaccurate') >= %s"
            " ORDER BY inaccurate DESC, analysis_id",
            (threshold,),
        )
        return [
            (int(r["analysis_id"]), Thoughts(int(r["useful"]), int(r["inaccurate"]))) for r in rows
        ]
