"""The send pacer: slots handed out ahead of the limit, checked on a simulated clock
(no wall-clock assertions: the fan-out bench measures real throughput)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.config import DigestConfig
from bot.digests.pacing import HEADROOM, Gcra, Pacer, pacer_for


class SimClock:
    """Monotonic time that only moves when a pacer sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_gcra_spaces_slots_at_the_rate() -> None:
    gcra = Gcra(rate=4)
    assert [gcra.reserve(0.0) for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]


def test_gcra_burst_allows_back_to_back_then_paces() -> None:
    gcra = Gcra(rate=10, burst=3)
    delays = [round(gcra.reserve(0.0), 3) for _ in range(5)]
    assert delays == [0.0, 0.0, 0.0, 0.1, 0.2]


def test_gcra_idle_time_is_not_banked_beyond_the_burst() -> None:
    gcra = Gcra(rate=10)
    gcra.reserve(0.0)
    assert gcra.reserve(5.0) == 0.0
    assert gcra.reserve(5.0) == pytest.approx(0.1)


def test_gcra_keys_are_independent_and_forgotten_when_idle() -> None:
    gcra = Gcra(rate=1)
    assert (gcra.reserve(0.0, "a"), gcra.reserve(0.0, "b"), gcra.reserve(0.0, "a")) == (
        0.0,
        0.0,
        1.0,
    )
    for n in range(2000):
        gcra.reserve(10.0 + n, n)  # each key's slot is in the past a second later
    assert len(gcra) < 1100


def test_gcra_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Gcra(rate=0)


async def test_pacer_never_exceeds_the_overall_rate() -> None:
    clock = SimClock()
    pacer = Pacer(300, clock=clock, sleep=clock.sleep)
    starts = []
    for n in range(3000):
        await pacer.acquire(str(n))
        starts.append(clock.now)
    assert starts[-1] == pytest.approx(2999 / 300)
    # any one-second window holds at most 300 sends
    gaps = [starts[i + 300] - starts[i] for i in range(len(starts) - 300)]
    assert min(gaps) >= 1.0 - 1e-9


async def test_pacer_holds_a_busy_channel_without_wasting_overall_slots() -> None:
    clock = SimClock()
    pacer = Pacer(100, per_channel=1, clock=clock, sleep=clock.sleep)
    await pacer.acquire("busy")
    await pacer.acquire("busy")
    assert clock.now == pytest.approx(1.0)  # one a second for that channel
    await pacer.acquire("other")
    assert clock.now == pytest.approx(1.01)  # the others wait one overall slot, not a second


def test_platform_limits_come_from_the_digest_keys_with_headroom() -> None:
    digest = DigestConfig(telegram_rate=30, telegram_chat_per_minute=20, discord_rate=50)
    telegram = pacer_for("telegram", digest)
    assert telegram.overall.interval == pytest.approx(1 / (30 * HEADROOM))
    assert telegram.per_channel is not None
    assert telegram.per_channel.interval == pytest.approx(3.0 / HEADROOM)
    discord = pacer_for("discord", digest)
    assert discord.overall.interval == pytest.approx(1 / (50 * HEADROOM))
    assert discord.per_channel is not None
    assert discord.per_channel.interval == pytest.approx(1 / (1 * HEADROOM))
    assert pacer_for("console", digest).per_channel is None
    assert HEADROOM < 1


class VirtualTime:
    """Sleeps that end when the test moves time past them, so concurrent waiters and a
    stalled loop can be played out exactly."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        await future

    async def run(self, until: float, stall_at: float | None = None, stall: float = 0.0) -> None:
        """Wake sleepers in time order; at `stall_at`, the loop is busy for `stall`."""
        for _ in range(1000):
            for _ in range(20):  # let woken tasks run, hand the lock on, go back to sleep
                await asyncio.sleep(0)
            if not self._sleepers:
                return
            wake, future = min(self._sleepers, key=lambda s: s[0])
            if wake > until:
                return
            self._sleepers.remove((wake, future))
            self.now = max(self.now, wake)
            if stall_at is not None and self.now >= stall_at:
                self.now, stall_at = self.now + stall, None
            future.set_result(None)


async def test_a_stalled_loop_does_not_release_a_clump() -> None:
    """Waiters queued during a stall go out spaced once it ends, not all at once."""
    vt = VirtualTime()
    pacer = Pacer(100, clock=vt, sleep=vt.sleep)
    sent: list[float] = []

    async def one(n: int) -> None:
        await pacer.acquire(str(n))
        sent.append(round(vt.now, 3))

    tasks = [asyncio.create_task(one(n)) for n in range(6)]
    await vt.run(until=10.0, stall_at=0.01, stall=2.0)
    await asyncio.gather(*tasks)
    assert sent[:2] == [0.0, 2.01]  # the second slot came due during the stall
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(sent[1:])]
    assert gaps == [0.01] * 4  # after it: one slot per interval, no clump
