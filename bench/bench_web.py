"""Throughput of a cached analysis page beside a hello-world app on the same stack.

Both are aiohttp.web servers on loopback in this process; the load comes from a separate
process (a bounded loop of keep-alive HTTP/1.1 requests on raw asyncio streams), so
client work does not share this process's event loop. Prints req/s, the page/hello
ratio (target >= 40 %), p99 (target <= 20 ms) and this process's RSS before and after
100,000 page requests.
Run: .venv/bin/python bench/bench_web.py [--requests N] [--memory-requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from adapters.web import WebAdapter
from bot.config import Config
from bot.core import Core
from bot.permalinks import page_path

CONCURRENCY = 8


async def loadgen(url: str, requests: int, concurrency: int) -> None:
    """The client side: `requests` keep-alive GETs of `url`, `concurrency` connections.

    A minimal HTTP/1.1 client on asyncio streams (Content-Length bodies only), so the
    generator costs far less than the server it measures; prints JSON figures.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Accept-Encoding: gzip\r\nCookie: prism_reader=bench-reader-0123456789\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(host, port)
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:40]
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            latencies.append(time.perf_counter() - started)
        writer.close()
        await writer.wait_closed()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    figures = {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }
    print(json.dumps(figures))


async def drive(url: str, requests: int) -> dict[str, float]:
    """Run the load generator in its own process against `url`."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--loadgen", url, "--requests", str(requests),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode == 0, "load generator failed"
    return dict(json.loads(out))


def rss_mb() -> float:
    """This process's resident memory, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def hello_server() -> tuple[web.AppRunner, str]:
    """The baseline: the smallest aiohttp.web app that answers a page."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><p>Hello, world</p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"


async def main(requests: int, memory_requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config().with_overrides(
            storage={"path": f"{tmp}/bench.db"}, web={"port": 0}, log={"level": "WARNING"}
        )
        core = await Core.open(config)
        await core.import_seeds()
        analysis = (await core.recent(1))[0]
        hello_runner, hello_url = await hello_server()
        try:
            async with WebAdapter(config, core) as adapter:
                page_url = adapter.url + page_path(analysis.id, analysis.headline)
                await report(hello_url, page_url, requests, memory_requests)
        finally:
            await hello_runner.cleanup()
            await core.aclose()


async def report(hello_url: str, page_url: str, requests: int, memory_requests: int) -> None:
    await drive(hello_url, 2000)  # warm-up of both
    await drive(page_url, 2000)
    hello = await drive(hello_url, requests)
    page = await drive(page_url, requests)
    print(f"requests per run: {requests:,}, concurrency {CONCURRENCY}, keep-alive, loopback")
    for name, r in (("hello world", hello), ("cached page", page)):
        print(
            f"{name:12} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
        )
    ratio = page["rps"] / hello["rps"]
    print(f"ratio        {ratio:.0%} of hello world (target >= 40%)")
    print(f"page p99     {page['p99_ms']:.2f} ms (target <= 20 ms)")
    before = rss_mb()
    await drive(page_url, memory_requests)
    middle = rss_mb()
    await drive(page_url, memory_requests)
    after = rss_mb()
    print(
        f"RSS          {before:.1f} MB before, {middle:.1f} MB after {memory_requests:,}, "
        f"{after:.1f} MB after {2 * memory_requests:,} page requests"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--loadgen", metavar="URL")
    args = parser.parse_args()
    if args.loadgen:
        asyncio.run(loadgen(args.loadgen, args.requests, CONCURRENCY))
    else:
        asyncio.run(main(args.requests, args.memory_requests))
