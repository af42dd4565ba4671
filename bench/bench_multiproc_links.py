"""500 distinct new links (local article site, offline analyser) through 1 and then 2
bot processes sharing one PostgreSQL database: throughput of each and their ratio.

Each process opens Core as the bot does and resolves its share of the links with a few
concurrent tasks; the clock runs from when every process is ready until the last has
resolved its share (start-up is printed apart). The article site runs in this (parent)
process. Every run uses a fresh
throwaway schema of the database in --url. On a 2-core machine the site, the server
and the processes share the same two cores, so the ratio says how much the work
overlaps, not what two machines would do.
Run: .venv/bin/python bench/bench_multiproc_links.py [--links 500] [--tasks 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bot.config import Config
from bot.core import Core
from bot.models import ChannelRef, Request
from tests.support.site import start_site


def worker_config(url: str) -> Config:
    """The bot's config for a bench process: PostgreSQL, loopback allowed, no budgets."""
    return Config().with_overrides(
        storage={"url": url},
        fetch={"allow_networks": ["127.0.0.0/8"], "timeout_s": 30.0},
        analyzer={"backend": "offline"},
        limits={"user_per_hour": 1_000_000, "global_per_day": 1_000_000},
    )


async def work(url: str, links: list[str], tasks: int) -> None:
    """One process: open Core, say "ready", wait for "go", resolve every link in
    `links`, `tasks` at a time, say "done"."""
    core = await Core.open(worker_config(url))
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    queue = iter(links)
    channel = ChannelRef("bench", str(os.getpid()))

    async def one_task(n: int) -> None:
        for link in queue:
            resolution = await core.resolve(link, Request("analyze", "", channel, f"u{n}"))
            assert not resolution.cached, link

    try:
        await asyncio.gather(*(one_task(n) for n in range(tasks)))
        print("done", flush=True)
    finally:
        await core.aclose()


async def run(
    url: str, base: str, links: int, processes: int, tasks: int, tag: str
) -> tuple[float, float]:
    """Links per second through `processes` running processes, on a fresh schema, and
    the seconds they took to start (interpreter, imports, Core.open), timed apart: a
    bot process starts once and then serves for days."""
    schema = f"prism_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    pg_url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    try:
        await _ready(pg_url)  # migrated once, not raced by the processes' start-up
        pages = [f"{base}/slow/{tag}-{processes}-{n}?ms=0" for n in range(links)]
        launched = time.perf_counter()
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                "--url",
                pg_url,
                "--tasks",
                str(tasks),
                *pages[p::processes],
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            for p in range(processes)
        ]
        for child in children:
            assert await _said(child) == "ready"
        started = time.perf_counter()
        for child in children:
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            await child.stdin.drain()
        for child in children:
            assert await _said(child) == "done"
        wall = time.perf_counter() - started
        codes = [await child.wait() for child in children]
        assert codes == [0] * processes, codes
        with psycopg.connect(pg_url, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM analyses").fetchone()
        assert row is not None and row[0] == links, row
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return links / wall, started - launched


async def _said(child: asyncio.subprocess.Process) -> str:
    assert child.stdout is not None
    return (await child.stdout.readline()).decode().strip()


async def _ready(url: str) -> None:
    core = await Core.open(worker_config(url))
    await core.aclose()


async def main(url: str, links: int, tasks: int) -> None:
    """1 process, then 2, each on new links; print both and the ratio."""
    site = await start_site()
    try:
        tag = secrets.token_hex(3)
        rates = []
        for processes, label in ((1, "1 process:  "), (2, "2 processes:")):
            rate, start = await run(url, site.base, links, processes, tasks, tag)
            rates.append(rate)
            print(
                f"{label} {rate:6.1f} links/s ({links} links, {tasks} tasks each;"
                f" started in {start:.2f} s, not timed)"
            )
        one, two = rates
        print(f"ratio        {two / one:.2f}x (target >= 1.6x; {os.cpu_count()} cores shared)")
    finally:
        await site.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--links", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("pages", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(work(args.url, args.pages, args.tasks))
    else:
        asyncio.run(main(args.url, args.links, args.tasks))
