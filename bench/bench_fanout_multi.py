"""Fan-out of one digest to 3,000 channels by 1, 2 and 3 processes on one database,
against a platform that enforces 300 msg/s.

The platform is bench_fanout's Telegram-shaped server (its own process, a token bucket
of 300 messages per second with a 0.1 s burst, 429 past it). Each bot process is the
real delivery path (`DigestService.send_due`) on the shared SQLite file: claims a batch
at a time through the ledger, paced by the per-token slot line in the store, so the
processes together stay at the platform's rate. All processes start together (a
barrier); the wall time runs from the barrier to the last process done.

Targets: each run within 1.1x the ideal 10 s; zero duplicates, zero lost.
Run: .venv/bin/python bench/bench_fanout_multi.py [--channels N] [--rate R] [--procs 1,2,3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from datetime import timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_fanout import DUE, TinyTelegramSender, prepare, serve
from bot.config import Config
from bot.digests.service import DigestService
from bot.store import Store

TOKEN = "4242:BENCH-multi"


def bench_config(path: str, rate: float) -> Config:
    """The processes' shared settings: one database, one bot token, the platform's rate."""
    return Config().with_overrides(
        storage={"path": path},
        telegram={"token": TOKEN},
        digest={"telegram_rate": rate, "retry_backoff_s": 0.05, "max_attempts": 8},
    )


def worker(path: str, rate: float, port: int, start: Event, conn: Any) -> None:
    """One bot process: open the store, wait for the barrier, deliver, report."""

    async def main() -> dict[str, float]:
        config = bench_config(path, rate)
        store = await Store.open(path)
        digests = DigestService(store, config, clock=lambda: DUE + timedelta(seconds=5))
        connector = aiohttp.TCPConnector(limit=128)
        async with aiohttp.ClientSession(connector=connector) as session:
            sender = TinyTelegramSender(session, f"http://127.0.0.1:{port}/bot{TOKEN}")
            conn.send("ready")
            await asyncio.get_running_loop().run_in_executor(None, start.wait)
            report = await digests.send_due({"telegram": sender})
            done = time.time()
            to_wall = done - time.perf_counter()  # perf_counter stamps onto the shared clock
            shared = digests.delivery.pacer("telegram").shared
        await store.close()
        dropped = shared.dropped if shared is not None else 0
        unused = shared.unused() if shared is not None else 0
        return {
            "sent": len(report.sent),
            "failed": len(report.failed),
            "done": done,
            "first": sender.first + to_wall,
            "last": sender.last + to_wall,
            "dropped": dropped,
            "unused": unused,
        }

    conn.send(asyncio.run(main()))


async def prepared_db(path: str, channels: int) -> None:
    store = await Store.open(path)
    await prepare(store, channels)
    await store.close()


def one_run(procs: int, channels: int, rate: float) -> dict[str, Any]:
    """A fresh platform and database; `procs` bot processes deliver one digest."""
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    server = spawn.Process(target=serve, args=(rate, rate / 10, theirs), daemon=True)
    server.start()
    port = ours.recv()
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.db"
        asyncio.run(prepared_db(path, channels))
        start = spawn.Event()
        pipes, workers = [], []
        for _ in range(procs):
            mine, its = spawn.Pipe()
            proc = spawn.Process(target=worker, args=(path, rate, port, start, its))
            proc.start()
            pipes.append(mine)
            workers.append(proc)
        for pipe in pipes:
            assert pipe.recv() == "ready"
        began = time.time()
        start.set()
        results = [pipe.recv() for pipe in pipes]
        for proc in workers:
            proc.join(10)
    ours.send("stop")
    tally = ours.recv()
    server.join(5)
    accepted: dict[str, int] = tally["accepted"]
    return {
        "wall": max(r["done"] for r in results) - began,
        "start": min(r["first"] for r in results) - began,
        "tail": max(r["done"] for r in results) - max(r["last"] for r in results),
        "shares": [int(r["sent"]) for r in results],
        "dropped": sum(int(r["dropped"]) for r in results),
        "unused": sum(int(r["unused"]) for r in results),
        "failed": sum(int(r["failed"]) for r in results),
        "duplicates": sum(n - 1 for n in accepted.values() if n > 1),
        "lost": channels - len(accepted),
        "limited": tally["limited"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=300.0, help="platform limit, msg/s")
    parser.add_argument("--procs", default="1,2,3", help="process counts to run")
    args = parser.parse_args()
    ideal = args.channels / args.rate
    print(f"channels {args.channels}, platform {args.rate:.0f} msg/s, ideal {ideal:.2f} s")
    print(
        "procs  wall s  ratio  (target <= 1.1x)  to first  after last"
        "  duplicates  lost  429s  failed  dropped  unused  shares"
    )
    for procs in (int(p) for p in args.procs.split(",")):
        r = one_run(procs, args.channels, args.rate)
        print(
            f"{procs:>5}  {r['wall']:6.2f}  {r['wall'] / ideal:5.3f}x {'':17} "
            f"{r['start']:7.2f}s  {r['tail']:9.2f}s  "
            f"{r['duplicates']:>10}  {r['lost']:>4}  {r['limited']:>4}  {r['failed']:>6}  "
            f"{r['dropped']:>7}  {r['unused']:>6}  {r['shares']}"
        )


if __name__ == "__main__":
    main()
