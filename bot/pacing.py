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
        channel_burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.overall = Gcra(rate)
        self.per_channel = Gcra(per_channel, channel_burst) if per_channel else None
        self.clock = clock
        self.sleep = sleep

    async def acquire(self, channel: str) -> None:
        """Wait for this channel's turn, then for the platform's next free slot.

        The channel's slot is waited out first so a busy channel never holds an
        overall slot that another channel could have used.
        """
        if self.per_channel is not None:
            delay = self.per_channel.reserve(self.clock(), channel)
            if delay > 0:
                await self.sleep(delay)
        delay = self.overall.reserve(self.clock())
        if delay > 0:
            await self.sleep(delay)


def pacer_for(platform: str, digest: DigestConfig) -> Pacer:
    """The pacer for a platform, from the [digest] rate keys."""
    if platform == "telegram":
        # 20 a minute per group becomes one slot every 3 s per chat: never a burst.
        return Pacer(digest.telegram_rate, digest.telegram_chat_per_minute / 60.0)
    if platform == "discord":
        return Pacer(digest.discord_rate, digest.discord_channel_per_second)
    return Pacer(digest.console_rate)
