"""Which story an article joins: an LSH index over a sliding time window (pure, in memory).

Banding finds candidates without comparing against everything: the word signature is
cut into bands of two values and the name signature into single values; articles
sharing any band are candidates. Each bucket keeps only its newest entries and the
whole index only the window (by publication time) and at most `max_entries`, so
memory stays bounded however long it runs. Candidates are then scored on all three
signatures and the best one above the threshold gives its story.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.stories.signature import PRIME, Signature, similarity

WORD_ROWS = 2
BUCKET_SIZE = 32


@dataclass(frozen=True, slots=True)
class Weights:
    """How a pair's score is made; calibrated on tests/fixtures/stories."""

    words: float = 0.55
    names: float = 0.35
    numbers: float = 0.10
    threshold: float = 0.22  # labelled set: same-event pairs 0.25+, others 0.18 at most
    numbers_clash: float = 0.10  # subtracted when both have figures and none match


@dataclass(slots=True)
class Entry:
    """An article in the index: its key (analysis id), story, signature and date."""

    key: int
    story: int
    signature: Signature
    published: datetime


class StoryIndex:
    """`assign(key, signature, published)` → (story id, joined an existing story?)."""

    def __init__(
        self,
        *,
        window: timedelta = timedelta(days=3),
        max_entries: int = 50_000,
        weights: Weights | None = None,
    ) -> None:
        self.window = window
        self.max_entries = max_entries
        self.weights = weights or Weights()
        self._buckets: dict[tuple[int, int], list[Entry]] = {}
        self._order: deque[Entry] = deque()
        self._next_story = 1

    def __len__(self) -> int:
        return len(self._order)

    def assign(
        self, key: int, sig: Signature, published: datetime, story: int | None = None
    ) -> tuple[int, bool]:
        """File an article; `story` forces its story (reloading), else the best match."""
        joined = False
        if story is None:
            match = self.best_match(sig, published)
            joined = match is not None
            story = match.story if match is not None else self._new_story()
        else:
            self._next_story = max(self._next_story, story + 1)
        entry = Entry(key, story, sig, published)
        self._add(entry)
        self._evict(published)
        return story, joined

    def best_match(self, sig: Signature, published: datetime) -> Entry | None:
        """The most similar candidate within the window scoring above the threshold."""
        best: Entry | None = None
        best_score = self.weights.threshold
        seen: set[int] = set()
        for band in _bands(sig):
            for entry in self._buckets.get(band, ()):
                if entry.key in seen or abs(entry.published - published) > self.window:
                    continue
                seen.add(entry.key)
                score = self.score(sig, entry.signature)
                if score >= best_score:
                    best, best_score = entry, score
        return best

    def score(self, a: Signature, b: Signature) -> float:
        """How alike two articles are, from 0 to 1."""
        w = self.weights
        nums = similarity(a.numbers, b.numbers)
        total = (
            w.words * similarity(a.words, b.words)
            + w.names * similarity(a.names, b.names)
            + w.numbers * nums
        )
        if nums == 0 and _has(a.numbers) and _has(b.numbers):
            total -= w.numbers_clash
        return total

    def _new_story(self) -> int:
        story = self._next_story
        self._next_story += 1
        return story

    def _add(self, entry: Entry) -> None:
        self._order.append(entry)
        for band in _bands(entry.signature):
            bucket = self._buckets.setdefault(band, [])
            bucket.append(entry)
            if len(bucket) > BUCKET_SIZE:  # a list, not a deque: most buckets hold one entry
                del bucket[0]

    def _evict(self, newest: datetime) -> None:
        """Drop entries older than the window behind `newest`, or beyond max_entries."""
        horizon = newest - self.window
        while self._order and (
            len(self._order) > self.max_entries or self._order[0].published < horizon
        ):
            old = self._order.popleft()
            for band in _bands(old.signature):
                bucket = self._buckets.get(band)
                if bucket is None:
                    continue
                for i, held in enumerate(bucket):
                    if held is old:
                        del bucket[i]
                        break
                if not bucket:
                    del self._buckets[band]


def _bands(sig: Signature) -> list[tuple[int, int]]:
    """Band keys: (band number, value) for words in pairs, for names one by one."""
    out = []
    for i in range(0, len(sig.words), WORD_ROWS):
        chunk = sig.words[i : i + WORD_ROWS]
        if _has(chunk):
            out.append((i // WORD_ROWS, hash(chunk)))
    offset = len(sig.words) // WORD_ROWS
    out.extend((offset + i, value) for i, value in enumerate(sig.names) if _has((value,)))
    return out


def _has(values: tuple[int, ...]) -> bool:
    return values[0] != PRIME
