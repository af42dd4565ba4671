"""Cache-hit resolution through the core with 10,000 stored analyses.

Target: at least 2,000 resolutions per second on one core, p99 at most 5 ms.
Run: .venv/bin/python bench/bench_cache.py [--analyses N] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fill
from bot.config import Config
from bot.core import Core
from bot.models import ChannelRef, Request


async def main(analyses: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config().with_overrides(storage={"path": f"{tmp}/bench.db"})
        core = await Core.open(config)
        started = time.perf_counter()
        urls = await fill(core.store, analyses)
        print(f"filled {analyses} analyses in {time.perf_counter() - started:.1f} s")
        rng = random.Random(1)
        channel = ChannelRef("bench", "1")
        latencies = []
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for i in range(requests):
            url = rng.choice(urls) + "?utm_source=bench"
            t0 = time.perf_counter()
            [reply] = await core.handle(Request("analyze", url, channel, f"user{i % 50}"))
            latencies.append((time.perf_counter() - t0) * 1000)
            assert reply.kind == "analysis", reply
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        await core.aclose()
    latencies.sort()

    def p(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    print(f"requests          {requests}")
    print(f"throughput        {requests / wall:,.0f} per second (wall), cpu {cpu:.2f} s")
    print(f"latency p50/p95   {statistics.median(latencies):.2f} / {p(0.95):.2f} ms")
    print(f"latency p99       {p(0.99):.2f} ms   (target <= 5 ms)")
    print(f"target >= 2000/s  {'met' if requests / wall >= 2000 else 'MISSED'}")
    print(f"cores             {os.cpu_count()} available, one event loop used")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--analyses", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=5_000)
    args = parser.parse_args()
    asyncio.run(main(args.analyses, args.requests))
