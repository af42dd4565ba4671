"""The scheduler on a real APScheduler: a catch-up pass at start, ticks that deliver
once when the (hand-set) clock reaches the delivery time, and a stop that lets the
send in progress finish while the rest wait, pending, for the next start."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Config
from bot.digests.scheduler import DigestScheduler
from bot.digests.service import DigestService
from bot.digests.subscriptions import SubscriptionService
from bot.models import ChannelRef, Reply
from bot.store import Store
from tests.support.digests import Clock, RecordingSender, add_analysis, request, utc


@pytest.fixture
def fast(config: Config) -> Config:
    return config.with_overrides(
        digest={"tick_s": 0.02, "discord_rate": 100000, "retry_backoff_s": 0.001}
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(utc("2026-03-27 12:00"))


async def setup(store: Store, fast: Config, clock: Clock, channels: list[str]) -> None:
    subs = SubscriptionService(store, fast, clock)
    for ch in channels:
        await subs.subscribe(request("subscribe", "Economy 08:00 Europe/Berlin", ch))
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))


async def passes(scheduler: DigestScheduler, n: int) -> None:
    """Wait until `n` more passes have completed."""
    target = scheduler.completed + n
    async with asyncio.timeout(5):
        while scheduler.completed < target:  # noqa: ASYNC110 - a counter, polled in tests
            await asyncio.sleep(0.005)


async def statuses(store: Store, channel: str) -> list[tuple[str, str]]:
    sub = await store.subscriptions.get(ChannelRef.parse(channel))
    assert sub is not None
    return [(d.period, d.status) for d in await store.deliveries.for_subscription(sub.id)]


async def test_start_catches_up_on_a_digest_due_while_down(
    store: Store, fast: Config, clock: Clock
) -> None:
    await setup(store, fast, clock, ["discord:1"])
    clock.set(utc("2026-03-28 10:00"))  # due at 07:00 UTC, three hours ago
    sender = RecordingSender(expect=1)
    scheduler = DigestScheduler(DigestService(store, fast, clock), {"discord": sender}, fast)
    await scheduler.start()
    await asyncio.wait_for(sender.arrived.wait(), 5)
    await passes(scheduler, 2)
    await scheduler.stop()
    assert list(sender.channels().items()) == [("discord:1", 1)]
    assert await statuses(store, "discord:1") == [("2026-03-28", "sent")]


async def test_ticks_deliver_when_the_local_time_comes_and_only_once(
    store: Store, fast: Config, clock: Clock
) -> None:
    await setup(store, fast, clock, ["discord:1", "discord:2"])
    clock.set(utc("2026-03-28 06:59"))
    sender = RecordingSender(expect=2)
    scheduler = DigestScheduler(DigestService(store, fast, clock), {"discord": sender}, fast)
    await scheduler.start()
    await passes(scheduler, 2)
    assert sender.received == []
    clock.set(utc("2026-03-28 07:00"))  # 08:00 in Berlin
    await asyncio.wait_for(sender.arrived.wait(), 5)
    await passes(scheduler, 3)
    clock.set(utc("2026-03-28 09:00"))
    await passes(scheduler, 2)
    await scheduler.stop()
    assert sorted(sender.channels().items()) == [("discord:1", 1), ("discord:2", 1)]
    assert not scheduler.running


class Blocking(RecordingSender):
    """The first send is held until the test releases it: a send in progress."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        if not self.entered.is_set():
            self.entered.set()
            await self.release.wait()
        await super().send(channel, reply)


async def test_stop_finishes_the_send_in_progress_and_the_rest_go_at_next_start(
    store: Store, fast: Config, clock: Clock
) -> None:
    channels = ["discord:1", "discord:2", "discord:3"]
    await setup(store, fast, clock, channels)
    clock.set(utc("2026-03-28 07:00"))
    sender = Blocking()
    digests = DigestService(store, fast, clock, concurrency=1)
    scheduler = DigestScheduler(digests, {"discord": sender}, fast)
    await scheduler.start()
    await asyncio.wait_for(sender.entered.wait(), 5)
    stopping = asyncio.create_task(scheduler.stop())
    await asyncio.sleep(0.01)
    assert not stopping.done()  # waiting for the send in progress
    sender.release.set()
    await asyncio.wait_for(stopping, 5)
    [first] = sender.channels()
    assert await statuses(store, first) == [("2026-03-28", "sent")]
    rest = [ch for ch in channels if ch != first]
    assert [await statuses(store, ch) for ch in rest] == [[("2026-03-28", "pending")]] * 2

    clock.set(utc("2026-03-28 07:05"))
    again = RecordingSender(expect=2)
    restarted = DigestScheduler(DigestService(store, fast, clock), {"discord": again}, fast)
    await restarted.start()
    await asyncio.wait_for(again.arrived.wait(), 5)
    await restarted.stop()
    assert sorted(again.channels()) == rest
    assert sorted((sender.channels() + again.channels()).values()) == [1, 1, 1]


async def test_a_failing_pass_does_not_stop_the_ticks(
    store: Store, fast: Config, clock: Clock
) -> None:
    await setup(store, fast, clock, ["discord:1"])
    clock.set(utc("2026-03-28 07:00"))

    class Broken(RecordingSender):
        async def send(self, channel: ChannelRef, reply: Reply) -> None:
            raise RuntimeError("adapter bug")

    patient = fast.with_overrides(digest={"max_attempts": 100})
    scheduler = DigestScheduler(DigestService(store, patient, clock), {"discord": Broken()}, fast)
    await scheduler.start()
    await passes(scheduler, 3)
    await scheduler.stop()
    # the unexpected error left the row pending, so each pass tried it again
    assert await statuses(store, "discord:1") == [("2026-03-28", "pending")]
    assert scheduler.reports[-1].interrupted == ["discord:1"]
