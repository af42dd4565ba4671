"""Stored embedding vectors on PostgreSQL (float32 bytes, as on SQLite)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from bot.store.contract import StoredVector
from bot.store.postgres.db import PgDatabase


class PgVectorRepo:
    """`analysis_embeddings`: a replaced vector is deleted and inserted, so it gets a new
    `seq` and readers loading "what changed since" see it."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def save(self, model: str, vectors: Sequence[tuple[int, Sequence[float]]]) -> None:
        """Store (analysis id, vector) pairs for `model`, replacing older ones, at once."""
        if not vectors:
            return
        async with self.db.transaction() as conn, conn.cursor() as cur:
            await cur.execute(
                "DELETE FROM analysis_embeddings WHERE analysis_id = ANY(%s)",
                ([ident for ident, _ in vectors],),
            )
            await cur.executemany(
                "INSERT INTO analysis_embeddings(analysis_id, model, dim, vector)"
                " VALUES (%s, %s, %s, %s)",
                [(i, model, len(v), array("f", v).tobytes()) for i, v in vectors],
            )

    async def missing(self, model: str, limit: int) -> list[int]:
        """Ids of analyses without a vector from `model`, oldest first."""
        rows = await self.db.fetchall(
            "SELECT an.id FROM analyses an LEFT JOIN analysis_embeddings e"
            " ON e.analysis_id = an.id AND e.model = %s"
            " WHERE e.analysis_id IS NULL ORDER BY an.id LIMIT %s",
            (model, limit),
        )
        return [int(r["id"]) for r in rows]

    async def since(self, model: str, after: int) -> list[StoredVector]:
        """Vectors of `model` written after sequence number `after`, in write order."""
        rows = await self.db.fetchall(
            "SELECT seq, analysis_id, vector FROM analysis_embeddings"
            " WHERE seq > %s AND model = %s ORDER BY seq",
            (after, model),
        )
        return [
            StoredVector(int(r["seq"]), int(r["analysis_id"]), _unpack(r["vector"])) for r in rows
        ]

    async def count(self, model: str | None = None) -> int:
        """How many vectors are stored (of one model, or of all)."""
        row = await self.db.fetchone(
            "SELECT count(*) AS n FROM analysis_embeddings WHERE %s::text IS NULL OR model = %s",
            (model, model),
        )
        return int(row["n"])


def _unpack(blob: bytes) -> array[float]:
    vector = array("f")
    vector.frombytes(blob)
    return vector
