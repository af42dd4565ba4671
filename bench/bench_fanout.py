"""Fan-out of one digest to 3,000 channels against a platform that enforces 300 msg/s.

The platform is a small Telegram-shaped aiohttp server (`/bot<token>/sendMessage`) in
a separate process, with a token bucket of 300 messages per second (Telegram's 30
scaled up tenfold) and a 0.1 s burst; past it, it answers 429 with `retry_after`, as
Telegram does. The bot side is the real delivery path, `DigestService.send_due`,
paced by bot/pacing.py at `[digest] telegram_rate = 300`, through a tiny sender.

Targets: wall time at most 1.15x the ideal 10 s; zero duplicates, zero lost; 429
answers at most 1% of sends. Also printed: CPU seconds (bot process) per 1,000
deliveries.
Run: .venv/bin/python bench/bench_fanout.py [--channels N] [--rate R] [--burst B]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fill
from bot.config import Config
from bot.digests.service import DigestService
from bot.errors import ChannelGone, SendFailed
from bot.models import ChannelRef, Reply
from bot.store import Store

DUE = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


# --- the platform, in its own process so its CPU is not counted as the bot's ----------


class Bucket:
    """The server's enforcement: a token bucket refilled at `rate`, holding `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.capacity = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> float:
        """0 if a token was available, else the seconds until one is."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def serve(rate: float, burst: float, conn: Any) -> None:
    """Run the platform until told to stop; sends back its tallies."""
    accepted: Counter[str] = Counter()
    limited = 0
    bucket = Bucket(rate, burst)

    async def send_message(request: web.Request) -> web.Response:
        nonlocal limited
        body = await request.json()
        wait = bucket.take()
        if wait:
            limited += 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {max(1, round(wait))}",
                    "parameters": {"retry_after": max(1, round(wait))},
                },
                status=429,
            )
        accepted[str(body["chat_id"])] += 1
        return web.json_response({"ok": True, "result": {"message_id": sum(accepted.values())}})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/sendMessage", send_message)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        conn.send({"accepted": dict(accepted), "limited": limited})
        await runner.cleanup()

    asyncio.run(main())


# --- the bot side ----------------------------------------------------------------------


class TinyTelegramSender:
    """Just enough of a Telegram sender: one POST per digest, errors mapped as the
    adapter maps them (429/5xx transient, 403 gone)."""

    platform = "telegram"

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base
        self.requests = 0
        self.first = self.last = 0.0  # perf_counter of the first and last request

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        self.requests += 1
        self.last = time.perf_counter()
        self.first = self.first or self.last
        payload = {"chat_id": channel.id, "text": reply.plain_text()[:4096]}
        async with self.session.post(f"{self.base}/sendMessage", json=payload) as resp:
            data = json.loads(await resp.read())
        if data.get("ok"):
            return
        if resp.status == 403:
            raise ChannelGone(data.get("description", "forbidden"))
        raise SendFailed(data.get("description", f"HTTP {resp.status}"))


async def prepare(store: Store, channels: int) -> None:
    await fill(store, 30)  # synthetic analyses dated 2026-11-01 00:00 onwards
    for n in range(channels):
        await store.subscriptions.save(
            ChannelRef("telegram", str(-1000000 - n)),
            ("World", "Politics", "Economy", "Business", "Technology", "Science"),
            "08:00",
            "UTC",
            DUE - timedelta(days=3),
            restart=True,
        )


async def run(port: int, channels: int, rate: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config().with_overrides(
            storage={"path": f"{tmp}/bench.db"},
            digest={"telegram_rate": rate, "retry_backoff_s": 0.05, "max_attempts": 8},
        )
        store = await Store.open(config.storage.path)
        await prepare(store, channels)
        digests = DigestService(store, config, clock=lambda: DUE + timedelta(seconds=5))
        connector = aiohttp.TCPConnector(limit=128)
        async with aiohttp.ClientSession(connector=connector) as session:
            sender = TinyTelegramSender(session, f"http://127.0.0.1:{port}/botBENCH")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            report = await digests.send_due({"telegram": sender})
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            setup, sending = sender.first - wall0, sender.last - sender.first
        counts = await store.deliveries.counts()
        await store.close()
    return {
        "wall": wall,
        "setup": setup,
        "sending": sending,
        "cpu": cpu,
        "requests": sender.requests,
        "sent": len(report.sent),
        "failed": len(report.failed),
        "ledger_sent": counts.get("sent", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=300.0, help="platform limit, msg/s")
    parser.add_argument("--burst", type=float, default=None, help="bucket size (rate/10)")
    args = parser.parse_args()
    burst = args.burst if args.burst is not None else args.rate / 10
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(args.rate, burst, theirs), daemon=True
    )
    server.start()
    port = ours.recv()
    figures = asyncio.run(run(port, args.channels, args.rate))
    ours.send("stop")
    tally = ours.recv()
    server.join(5)
    accepted: dict[str, int] = tally["accepted"]
    ideal = args.channels / args.rate
    duplicates = sum(n - 1 for n in accepted.values() if n > 1)
    lost = args.channels - len(accepted)
    share_429 = tally["limited"] / max(1, figures["requests"])
    print(f"channels            {args.channels} (platform: {args.rate:.0f} msg/s, burst {burst:g})")
    print(f"wall time           {figures['wall']:.2f} s (ideal {ideal:.2f} s)")
    print(f"ratio to ideal      {figures['wall'] / ideal:.3f}x   (target <= 1.15x)")
    print(
        f"  of which           {figures['setup']:.2f} s before the first send (ledger claim, "
        f"content), {figures['sending']:.2f} s first to last send"
    )
    print(f"accepted            {sum(accepted.values())} in {len(accepted)} channels")
    print(f"duplicates          {duplicates}   (target 0)")
    print(f"lost                {lost}   (target 0)")
    print(
        f"429 answers         {tally['limited']} of {figures['requests']} sends "
        f"= {share_429:.2%}   (target <= 1%)"
    )
    print(f"ledger              {figures['ledger_sent']} sent, {figures['failed']:.0f} failed")
    print(
        f"cpu (bot process)   {figures['cpu']:.2f} s = "
        f"{figures['cpu'] / max(1, figures['sent']) * 1000:.2f} s per 1,000 deliveries"
    )


if __name__ == "__main__":
    main()
