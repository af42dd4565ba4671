"""A test double for the embedding model: deterministic, dependency-free, instant."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from bot.related.embeddings import normalise

_WORD = re.compile(r"[^\W_]+")


class HashingEmbedder:
    """Hashed bag of words: a stand-in for a real model (satisfies bot.ports.Embedder)."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One signed, hashed word-count vector per text, unit length."""
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in _WORD.findall(text.casefold()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % self.dim
            vector[slot] += 1.0 if digest[4] & 1 else -1.0
        return normalise(vector)
