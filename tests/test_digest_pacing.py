"""The send pacer: slots handed out ahead of the limit, checked on a simulated clock
(no wall-clock assertions: the fan-out bench measures real throughput)."""

from __future__ import annotations

import pytest

from bot.config import DigestConfig
from bot.pacing import Gcra, Pacer, pacer_for


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


def test_platform_limits_come_from_the_digest_keys() -> None:
    digest = DigestConfig(telegram_rate=30, telegram_chat_per_minute=20, discord_rate=50)
    telegram = pacer_for("telegram", digest)
    assert telegram.overall.interval == pytest.approx(1 / 30)
    assert telegram.per_channel is not None
    assert telegram.per_channel.interval == pytest.approx(3.0)
    discord = pacer_for("discord", digest)
    assert discord.overall.interval == pytest.approx(1 / 50)
    assert discord.per_channel is not None
    assert discord.per_channel.interval == pytest.approx(1 / 5)
    assert pacer_for("console", digest).per_channel is None
