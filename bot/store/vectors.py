"""Stored embedding vectors, one per analysis and model (float32, unit length)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from bot.store.contract import StoredVector
from bot.store.db import Database


class VectorRepo:
    """The `analysis_embeddings` table: written after a save, read incrementally by `seq`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, model: str, vectors: Sequence[tuple[int, Sequence[float]]]) -> None:
        """Store (analysis id, vector) pairs for `model`, replacing older ones, at once."""
        async with self.db.write() as conn:
            for analysis_id, vector in vectors:
                await conn.execute(
                    "INSERT OR REPLACE INTO analysis_embeddings(analysis_id, model, dim, vector)"
                    " VALUES (?, ?, ?, ?)",
                    (analysis_id, model, len(vector), array("f", vector).tobytes()),
                )

    async def missing(self, model: str, limit: int) -> list[int]:
        """Ids of analyses without a vector from `model`, oldest first."""
        rows = await self.db.fetchall(
            "SELECT an.id FROM analyses an LEFT JOIN analysis_embeddings e"
            " ON e.analysis_id = an.id AND e.model = ?"
            " WHERE e.analysis_id IS NULL ORDER BY an.id LIMIT ?",
            (model, limit),
        )
        return [int(r[0]) for r in rows]

    async def since(self, model: str, after: int) -> list[StoredVector]:
        """Vectors of `model` written after sequence number `after`, in write order."""
        rows = await self.db.fetchall(
            "SELECT seq, analysis_id, vector FROM analysis_embeddings"
            " WHERE seq > ? AND model = ? ORDER BY seq",
            (after, model),
        )
        return [StoredVector(int(seq), int(ident), _unpack(blob)) for seq, ident, blob in rows]

    async def count(self, model: str | None = None) -> int:
        """How many vectors are stored (of one model, or of all)."""
        if model is None:
            row = await self.db.fetchone("SELECT count(*) FROM analysis_embeddings")
        else:
            row = await self.db.fetchone(
                "SELECT count(*) FROM analysis_embeddings WHERE model = ?", (model,)
            )
        return int(row[0])


def _unpack(blob: bytes) -> array[float]:
    vector = array("f")
    vector.frombytes(blob)
    return vector
