"""Pacing shared through the store: three pacers (three processes' worth, each with its
own connection to one database) together stay under one bot's rate. Counted on a
virtual clock that moves only when every pacer is asleep (no wall-clock assertions)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Config, DigestConfig
from bot.digests.pacing import Pacer, SharedSlots, pacer_for, pacing_key
from bot.digests.service import DigestService
from bot.store import Store
from bot.store.contract import PacingContract
from tests.support.digests import RecordingSender
from tests.support.fanout import due_now, telegram_chats
from tests.support.postgres import pg_server, pg_url

__all__ = ["pg_server", "pg_url"]  # fixtures, used by name

RATE = 30.0
SENDS = 240


class VirtualTime:
    """A clock shared by several tasks: it jumps to the earliest sleeper's wake-up time
    only once every running task is asleep, so store round trips take no virtual time."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.running = 0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), future))
        await future

    async def drive(self) -> None:
        """Wake sleepers in time order until no task runs."""
        while self.running:
            if len(self._sleepers) < self.running:
                await asyncio.sleep(0.0005)  # someone is in a store call: real time only
                continue
            at, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            future.set_result(None)
            await asyncio.sleep(0)


async def fan_out(lines: list[PacingContract], time: VirtualTime, rate: float) -> list[float]:
    """Each line's pacer sends SENDS / len(lines) messages to distinct channels."""
    sent: list[float] = []

    async def process(line: PacingContract, first: int) -> None:
        shared = SharedSlots(line, pacing_key("telegram", "123:abc"), rate)
        pacer = Pacer(rate, None, clock=time, sleep=time.sleep, shared=shared)
        try:
            for n in range(first, SENDS, len(lines)):
                await pacer.acquire(f"chat-{n}")
                sent.append(time())
        finally:
            time.running -= 1

    time.running = len(lines)
    tasks = [asyncio.create_task(process(line, i)) for i, line in enumerate(lines)]
    await time.drive()
    await asyncio.gather(*tasks)
    return sorted(sent)


def busiest_second(times: list[float]) -> int:
    """The most sends inside any one-second window."""
    return max(len([t for t in times[i:] if t < start + 1.0]) for i, start in enumerate(times))


@pytest.fixture
async def three_sqlite(tmp_path: Path) -> AsyncIterator[list[PacingContract]]:
    stores = [await Store.open(tmp_path / "shared.db") for _ in range(3)]
    yield [s.pacing for s in stores]
    for store in stores:
        await store.close()


async def test_three_pacers_on_one_sqlite_file_stay_under_one_rate(
    three_sqlite: list[PacingContract],
) -> None:
    time = VirtualTime()
    start = time()
    sent = await fan_out(three_sqlite, time, RATE)
    assert len(sent) == SENDS
    assert busiest_second(sent) <= RATE + 1
    assert sent[-1] - start >= (SENDS - 1) / RATE - 1e-6  # not three times the rate
    assert sent[-1] - start <= 1.1 * SENDS / RATE  # and no slot wasted on the way


async def test_three_pacers_on_postgresql_stay_under_one_rate(pg_url: str) -> None:
    from bot.store.postgres.store import PgStore

    stores = [await PgStore.open(pg_url) for _ in range(3)]
    try:
        time = VirtualTime()
        start = time()
        sent = await fan_out([s.pacing for s in stores], time, RATE)
    finally:
        for store in stores:
            await store.close()
    assert len(sent) == SENDS
    assert busiest_second(sent) <= RATE + 1
    assert sent[-1] - start >= (SENDS - 1) / RATE - 1e-6


async def test_slots_are_handed_out_once_across_connections(tmp_path: Path) -> None:
    a, b = [await Store.open(tmp_path / "s.db") for _ in range(2)]
    try:
        firsts = [await line.reserve("k", 100.0, 0.5, 4) for line in (a.pacing, b.pacing)]
        later = await a.pacing.reserve("k", 500.0, 0.5, 4)
    finally:
        await a.close()
        await b.close()
    assert firsts == [100.0, 102.0]  # the second block starts where the first ended
    assert later == 500.0  # idle time is not banked


async def test_a_slot_missed_by_more_than_one_interval_is_dropped(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.db")
    try:
        shared = SharedSlots(store.pacing, "k", rate=10, block_s=0.5)  # blocks of 5
        assert await shared.take(0.0, demand=5) == 0.0
        assert await shared.take(0.35, demand=4) == pytest.approx(0.3)  # 0.1, 0.2 went by
        assert await shared.take(10.0, demand=3) == 10.0  # the rest is stale: a new block
    finally:
        await store.close()


def test_pacing_key_never_holds_the_token() -> None:
    key = pacing_key("telegram", "123456:SECRET-token")
    assert key.startswith("telegram:") and "SECRET" not in key and "123456" not in key
    assert key != pacing_key("telegram", "123456:other")


def test_the_pacer_for_a_platform_shares_only_with_a_store_and_a_token() -> None:
    class Line:
        async def reserve(self, key: str, now: float, interval: float, count: int) -> float:
            return now

    digest = DigestConfig()
    assert pacer_for("telegram", digest, Line(), "1:t").shared is not None
    assert pacer_for("telegram", digest, Line(), "").shared is None
    assert pacer_for("telegram", digest).shared is None
    assert pacer_for("console", digest, Line(), "1:t").shared is None


async def test_two_passes_on_one_database_share_a_fan_out_in_batches(
    tmp_path: Path, config: Config
) -> None:
    """Two processes' delivery passes at once: each claims a batch at a time, so both
    take a share, and together they send every digest once."""
    config = config.with_overrides(
        storage={"path": str(tmp_path / "shared.db")}, digest={"telegram_rate": 2000.0}
    )
    stores = [await Store.open(config.storage.path) for _ in range(2)]
    try:
        await due_now(stores[0], telegram_chats(60), datetime.now(UTC))
        services = [DigestService(s, config, lambda: datetime.now(UTC)) for s in stores]
        for service in services:
            service.delivery.batch = 10
        senders = [RecordingSender(platform="telegram") for _ in services]
        await asyncio.gather(
            *(svc.send_due({"telegram": snd}) for svc, snd in zip(services, senders, strict=True))
        )
    finally:
        for store in stores:
            await store.close()
    shares = [snd.channels() for snd in senders]
    assert all(shares)  # both took part
    assert sum(shares, Counter()) == Counter({f"telegram:{c.id}": 1 for c in telegram_chats(60)})


async def test_overlapping_passes_of_one_process_send_each_digest_once(
    tmp_path: Path, config: Config
) -> None:
    """A tick that starts a pass while the last one is still claiming: the ledger lets a
    process re-claim its own rows, so the process itself must not send them twice."""
    config = config.with_overrides(
        storage={"path": str(tmp_path / "one.db")}, digest={"telegram_rate": 2000.0}
    )
    store = await Store.open(config.storage.path)
    try:
        await due_now(store, telegram_chats(40), datetime.now(UTC))
        service = DigestService(store, config, lambda: datetime.now(UTC))
        service.delivery.batch = 7
        sender = RecordingSender(platform="telegram")
        await asyncio.gather(*(service.send_due({"telegram": sender}) for _ in range(3)))
    finally:
        await store.close()
    assert sender.channels() == Counter({f"telegram:{c.id}": 1 for c in telegram_chats(40)})


async def test_an_update_is_first_once_across_connections_on_both_backends(
    tmp_path: Path, pg_url: str
) -> None:
    from bot.store.postgres.store import PgStore

    sqlite = [await Store.open(tmp_path / "u.db") for _ in range(2)]
    pg = [await PgStore.open(pg_url) for _ in range(2)]
    try:
        for a, b in (sqlite, pg):
            assert await a.updates.first("42", 7, 1000.0, 3600.0)
            assert not await b.updates.first("42", 7, 1001.0, 3600.0)  # the other process
            assert await b.updates.first("43", 7, 1001.0, 3600.0)  # another bot's update 7
    finally:
        for store in sqlite:
            await store.close()
        for pg_store in pg:
            await pg_store.close()


async def test_a_process_reserves_no_more_slots_than_it_has_sends(tmp_path: Path) -> None:
    """Slots reserved and not used are lost to every process: at the end of a fan-out a
    process takes just what its remaining sends need, so the others lose nothing."""
    a, b = [await Store.open(tmp_path / "s.db") for _ in range(2)]
    try:
        time = VirtualTime(start=1000.0)
        shared = SharedSlots(a.pacing, "k", rate=10, block_s=1.0)  # blocks of up to 10
        pacer = Pacer(10, None, clock=time, sleep=time.sleep, shared=shared)

        async def three_sends() -> None:
            try:
                await asyncio.gather(*(pacer.acquire(f"chat-{n}") for n in range(3)))
            finally:
                time.running -= 1

        time.running = 1
        sends = asyncio.create_task(three_sends())
        await time.drive()
        await sends
        assert shared.unused() == 0
        # the other process's next slot comes right after the three
        assert await b.pacing.reserve("k", 1000.0, 0.1, 1) == pytest.approx(1000.3)
    finally:
        await a.close()
        await b.close()
