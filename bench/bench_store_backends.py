"""Cache-hit resolution on SQLite and on PostgreSQL, in the same run: the store's
by_url alone, then the whole Core.resolve path a chat request takes.

Both stores hold the same N synthetic analyses; each answers the same random URLs (with
a tracking parameter, so canonicalisation is paid). PostgreSQL runs in a throwaway
schema of the database in --url, dropped at the end.
Run: .venv/bin/python bench/bench_store_backends.py [--analyses N] [--lookups N] [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench.common import synthetic
from bot.config import Config
from bot.core import Core
from bot.models import ChannelRef, Request


async def fill(store: Any, count: int, workers: int = 8) -> list[str]:
    """The same analyses as bench.common.fill, saved by a few tasks at once (commits overlap)."""
    rng = random.Random(7)
    rows = [synthetic(n, rng) for n in range(count)]
    queue = iter(rows)

    async def worker() -> None:
        """Save analyses until the shared queue is empty."""
        for article, draft, created in queue:
            await store.analyses.save(article, draft, created_at=created)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return [article.url for article, _, _ in rows]


async def measure(name: str, store: Any, analyses: int, lookups: int) -> list[str]:
    """Fill one store, then time random cache-hit lookups on it."""
    started = time.perf_counter()
    urls = await fill(store, analyses)
    print(f"{name}: filled {analyses} analyses in {time.perf_counter() - started:.1f} s")
    rng = random.Random(1)
    for url in rng.sample(urls, min(200, len(urls))):  # warm caches and prepared plans
        await store.analyses.by_url(url)
    latencies = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(lookups):
        url = rng.choice(urls)
        t0 = time.perf_counter()
        found = await store.analyses.by_url(url)
        latencies.append(time.perf_counter() - t0)
        assert found is not None
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"{name}: {lookups / wall:,.0f} lookups/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms,"
        f" client CPU {cpu / lookups * 1e6:.0f} µs/lookup"
    )
    await concurrently(name, store, urls, lookups, tasks=8)
    return urls


async def through_core(name: str, core: Core, urls: list[str], lookups: int) -> None:
    """Cache hits through Core.resolve: canonicalise, read, count the request."""
    rng = random.Random(3)
    channel = ChannelRef("bench", "1")
    latencies = []
    wall0 = time.perf_counter()
    for i in range(lookups):
        request = Request("analyze", "", channel, f"user{i % 50}")
        t0 = time.perf_counter()
        resolution = await core.resolve(rng.choice(urls) + "?utm_source=bench", request)
        latencies.append(time.perf_counter() - t0)
        assert resolution.cached
    wall = time.perf_counter() - wall0
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"{name}: Core.resolve {lookups / wall:,.0f} cache hits/s,"
        f" p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )


async def one_backend(name: str, config: Config, analyses: int, lookups: int) -> None:
    """Open the core as the bot does (open_store), fill its store, measure both paths."""
    core = await Core.open(config)
    try:
        urls = await measure(name, core.store, analyses, lookups)
        await through_core(name, core, urls, lookups)
    finally:
        await core.aclose()


async def concurrently(name: str, store: Any, urls: list[str], lookups: int, tasks: int) -> None:
    """The same lookups from several tasks at once, as a busy bot would ask."""
    rng = random.Random(2)
    chosen = iter([rng.choice(urls) for _ in range(lookups)])

    async def worker() -> None:
        for url in chosen:
            assert await store.analyses.by_url(url) is not None

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    wall = time.perf_counter() - started
    print(f"{name}: {lookups / wall:,.0f} lookups/s with {tasks} concurrent tasks")


async def main(analyses: int, lookups: int, url: str) -> None:
    """SQLite first, then PostgreSQL in a throwaway schema."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Config().with_overrides(storage={"path": f"{tmp}/bench.db"})
        await one_backend("sqlite", base, analyses, lookups)
    schema = f"prism_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in url else "?"
        pg_url = f"{url}{separator}options=-csearch_path%3D{schema}"
        await one_backend(
            "postgresql", base.with_overrides(storage={"url": pg_url}), analyses, lookups
        )
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyses", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    asyncio.run(main(args.analyses, args.lookups, args.url))
