"""Send pacing per platform: stay under the flood limits instead of bouncing off them.

A GCRA (generic cell rate algorithm, the token bucket written as one timestamp)
hands each send the next free slot, so a fan-out to thousands of channels flows at
the platform's rate from the first message, with no fixed sleep per message and no
reliance on 429 answers (the libraries' own 429 handling stays as the backstop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable

from bot.config import DigestConfig


class Gcra:
    """Slots at `rate` per second, allowing `burst` back-to-back; one timestamp per key."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self._tat: dict[Hashable, float] = {}  # theoretical arrival time per key
        self._reserved = 0

    def reserve(self, now: float, key: Hashable = None) -> float:
        """Take the next slot for `key`; returns how long to wait before using it."""
        tat = max(self._tat.get(key, now), now)
        slot = max(now, tat - self.tolerance)
        self._tat[key] = tat + self.interval
        self._reserved += 1
        if self._reserved % 1024 == 0:
            self._forget(now)
        return slot - now

    def settle(self, now: float, key: Hashable = None) -> None:
        """The slot just used was taken late (the loop stalled): the next is one interval
        from now, so the backlog does not leave back to back. Small lateness is kept."""
        self._tat[key] = max(self._tat.get(key, now), now + self.interval)

    def _forget(self, now: float) -> None:
        """Keys whose slots are all in the past behave like new keys: drop them."""
        for key in [k for k, tat in self._tat.items() if tat <= now]:
            del self._tat[key]

    def __len__(self) -> int:
        return len(self._tat)


class Pacer:
    """One platform's limits: an overall rate and, optionally, one per channel."""

    def __init__(
        self,
        rate: float,
        per_channel: float | None = None,
        *,
        burst: int = 1,
        channel_burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.overall = Gcra(rate, burst)
        self.per_channel = Gcra(per_channel, channel_burst) if per_channel else None
        self.clock = clock
        self.sleep = sleep
        self._turn = asyncio.Lock()

    async def acquire(self, channel: str) -> None:
        """Wait for this channel's turn, then for the platform's next free slot.

        The channel's slot is waited out first so a busy channel never holds an
        overall slot that another channel could have used. Overall slots are taken one
        waiter at a time, each at the moment the previous one was released: slots
        reserved in advance would all fall due together after the loop stalls (a burst
        the platform answers with 429s), while this way a stall only costs time.
        """
        if self.per_channel is not None:
            delay = self.per_channel.reserve(self.clock(), channel)
            if delay > 0:
                await self.sleep(delay)
        async with self._turn:  # one waiter at a time: a stalled loop never releases a clump
            now = self.clock()
            delay = self.overall.reserve(now)
            if delay > 0:
                await self.sleep(delay)
            woke = self.clock()
            if woke - (now + delay) > self.overall.interval:
                self.overall.settle(woke)  # late by more than a slot: start afresh from now


# The [digest] rates are the platforms' limits; sends are paced this far under them so
# that jitter in when requests reach the platform (event-loop scheduling, connection
# reuse) does not push a burst over the limit.
HEADROOM = 0.98


def pacer_for(platform: str, digest: DigestConfig) -> Pacer:
    """The pacer for a platform, from the [digest] rate keys, with headroom."""
    if platform == "telegram":
        # 20 a minute per group becomes one slot every 3 s per chat: never a burst.
        per_chat = digest.telegram_chat_per_minute / 60.0
        return Pacer(digest.telegram_rate * HEADROOM, per_chat * HEADROOM)
    if platform == "discord":
        return Pacer(digest.discord_rate * HEADROOM, digest.discord_channel_per_second * HEADROOM)
    return Pacer(digest.console_rate)
