"""Link handling and the safe fetcher against the local article site.

Prints canonicalize / find_links cost (they sit on every cache hit) and fetch
latency and throughput through the full gate (parse, resolve, check, pinned dial).
Run: .venv/bin/python bench/bench_fetch.py [--fetches N] [--concurrency N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import FetchConfig
from bot.ingest.fetch import Fetcher
from bot.ingest.links import canonicalize, find_links
from tests.support.site import article_html, start_site

URLS = [
    "https://www.Example.com:443/world/2025/story-name?utm_source=tw&b=2&a=1#comments",
    "http://news.example/a/./b/../c?id=7&fbclid=XYZ",
    "https://bücher.example/ä?x=1",
    "https://en.wikipedia.org/wiki/Foo_(bar)",
]
MESSAGE = "Have you seen https://news.example/a?utm_source=x (and www.example.com/b)? Wild."


def per_call_us(fn: object, arg: str, rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        fn(arg)  # type: ignore[operator]
    return (time.perf_counter() - started) / rounds * 1e6


class LoopbackResolver:
    async def resolve(self, host: str, port: int) -> list[str]:
        return ["127.0.0.1"]


async def fetches(count: int, concurrency: int) -> None:
    site = await start_site()
    site.add_page("/story.html", article_html(repeat=20))
    config = FetchConfig(
        allow_networks=("127.0.0.1/32",),
        max_concurrency=concurrency,
        per_host_concurrency=concurrency,
    )
    fetcher = Fetcher(config, resolver=LoopbackResolver())
    port = site.base.rsplit(":", 1)[1]
    url = f"http://news.test:{port}/story.html"
    latencies: list[float] = []

    async def worker(n: int) -> None:
        for _ in range(n):
            t0 = time.perf_counter()
            await fetcher.fetch(url)
            latencies.append((time.perf_counter() - t0) * 1000)

    await worker(1)  # warm the connection pool
    latencies.clear()
    wall0 = time.perf_counter()
    await asyncio.gather(*(worker(count // concurrency) for _ in range(concurrency)))
    count = len(latencies)
    wall = time.perf_counter() - wall0
    await fetcher.aclose()
    await site.close()
    latencies.sort()
    print(f"fetches           {count} at concurrency {concurrency} (server in-process)")
    print(f"throughput        {count / wall:,.0f} pages per second")
    print(
        f"latency p50/p99   {statistics.median(latencies):.2f} / "
        f"{latencies[int(0.99 * (len(latencies) - 1))]:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fetches", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    for url in URLS:
        print(f"canonicalize      {per_call_us(canonicalize, url, 20_000):6.1f} µs  {url[:50]}")
    print(f"find_links        {per_call_us(find_links, MESSAGE, 20_000):6.1f} µs  (chat message)")
    asyncio.run(fetches(args.fetches, args.concurrency))


if __name__ == "__main__":
    main()
