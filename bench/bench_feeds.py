"""A poll round over 1,000 unchanged feeds (every one answers 304) on a local server.

Targets: at most 10 s wall time and 2 s CPU for the bot's process. The feed server
runs in a child process so its CPU is not counted. Prints wall, CPU, and the report.
Run: .venv/bin/python bench/bench_feeds.py [--feeds N]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import FetchConfig, PollingConfig
from bot.ingest.feeds.policy import FeedState
from bot.ingest.feeds.poller import Poller
from bot.ingest.fetch import Fetcher
from bot.models import Analysis
from bot.store import Store
from bot.store.feeds import Feed
from tests.support.feed_server import FeedServer, Item, rss

BODY = rss([Item(f"Item {n}", f"http://example.com/{n}", f"g{n}") for n in range(20)])


def serve(feeds: int, pipe: Connection) -> None:
    """Child process: the feed server with `feeds` identical conditional feeds."""

    async def run() -> None:
        server = await FeedServer().start()
        for n in range(feeds):
            server.serve(f"/f{n}.rss", BODY)
        etag = f'"{__import__("hashlib").sha1(BODY).hexdigest()[:16]}"'
        pipe.send((server.base, etag))
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        await server.close()

    asyncio.run(run())


async def never(url: str, feed: Feed) -> Analysis | None:
    raise AssertionError("an unchanged feed must not be analysed")


async def main(feeds: int) -> None:
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=serve, args=(feeds, child))
    proc.start()
    base, etag = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(f"{tmp}/bench.db")
        now = datetime.now(UTC)
        for n in range(feeds):
            feed = await store.feeds.add(f"{base}/f{n}.rss", now)
            await store.feeds.save_state(feed.id, FeedState(status="ok", etag=etag))
        fetch = FetchConfig(allow_networks=("127.0.0.0/8",), per_host_concurrency=16)
        fetcher = Fetcher(fetch)
        poller = Poller(store.feeds, fetcher, PollingConfig(), never, concurrency=16)
        wall, cpu = time.perf_counter(), time.process_time()
        report = await poller.poll_due()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await fetcher.aclose()
        await store.close()
    parent.send("stop")
    proc.join()
    print(f"feeds={report.feeds} not_modified={report.not_modified} failed={report.failed}")
    print(f"wall_s={wall:.2f} (target <= 10)  cpu_s={cpu:.2f} (target <= 2)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    asyncio.run(main(parser.parse_args().feeds))
