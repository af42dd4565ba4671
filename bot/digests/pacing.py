"""Send pacing per platform: stay under the flood limits instead of bouncing off them.

A GCRA (generic cell rate algorithm, the token bucket written as one timestamp)
hands each send the next free slot, so a fan-out to thousands of channels flows at
the platform's rate from the first message, with no fixed sleep per message and no
reliance on 429 answers (the libraries' own 429 handling stays as the backstop).

A platform's overall limit belongs to the bot token, not to the process: with a store
(`SharedSlots`) the overall slots come from one line in the database that every
process sharing it draws from, a block at a time, so several schedulers together stay
under the limit. The per-channel limit stays in the process: one process delivers a
given channel's digest (the ledger's claim).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Protocol

from bot.config import DigestConfig


class SlotLine(Protocol):
    """Where shared slots come from: bot.store's pacing repository."""

    async def reserve(self, key: str, now: float, interval: float, count: int) -> float:
        """Take the next `count` slots `interval` apart, none before `now`; the first one's time."""
        ...


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


LATE_S = 0.05  # how late a shared slot may still be used (sends then go back to back)


class SharedSlots:
    """Overall slots drawn from the store a block at a time (about `block_s` worth).

    A slot is an absolute time on the clock every process shares (the wall clock).
    Blocks keep the store to a few round trips a second per process; a slot that went
    by unused (the loop stalled, the fan-out ended) is dropped, never sent late in a
    burst, so the line's spacing holds for all processes together.
    """

    def __init__(self, line: SlotLine, key: str, rate: float, *, block_s: float = 0.25) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.line = line
        self.key = key
        self.interval = 1.0 / rate
        # A slot may be used this late: one interval, but never under LATE_S, so a busy
        # loop's usual jitter at hundreds of messages a second does not waste slots.
        self.late = max(self.interval, LATE_S)
        self.count = max(1, round(rate * block_s))
        self._slots: deque[float] = deque()
        self._next: asyncio.Future[list[float]] | None = None  # the block being reserved
        self.dropped = 0  # slots that went by unused (a stalled loop; benchmarks print it)

    async def take(self, now: float, demand: int = 1) -> float:
        """The next slot of this process's block; `demand` is how many sends wait for
        one, this one included. A block is at most what they need (slots reserved and
        not used are gone for every process) and the next is reserved while half of
        this one is left, so the store's round trip never holds a send up."""
        while True:
            while self._slots and self._slots[0] < now - self.late:
                self._slots.popleft()  # went by unused
                self.dropped += 1
            if self._slots:
                break
            if self._next is None:
                self._prefetch(now, demand)
            await self._refill()
        slot = self._slots.popleft()
        short = demand - 1 - len(self._slots)  # the sends after this one with no slot yet
        if short > 0 and len(self._slots) <= self.count // 2 and self._next is None:
            self._prefetch(now, short)
        return slot

    def unused(self) -> int:
        """Slots reserved and not used: the block in hand, and the next if reserved."""
        block = self._next
        ready = block is not None and block.done() and block.exception() is None
        return len(self._slots) + (len(block.result()) if block is not None and ready else 0)

    def _prefetch(self, now: float, wanted: int) -> None:
        """Reserve the next block, at most `wanted` slots, in the background (its
        failure surfaces in _refill)."""
        self._next = asyncio.ensure_future(self._reserve(now, min(self.count, max(1, wanted))))
        self._next.add_done_callback(_seen)

    async def _reserve(self, now: float, count: int) -> list[float]:
        first = await self.line.reserve(self.key, now, self.interval, count)
        return [first + i * self.interval for i in range(count)]

    async def _refill(self) -> None:
        """Wait for the block being reserved and take its slots."""
        pending, self._next = self._next, None
        assert pending is not None
        self._slots.extend(await pending)


def _seen(future: asyncio.Future[list[float]]) -> None:
    """A prefetch nobody waits for any more (the pass ended) fails quietly."""
    if not future.cancelled():
        future.exception()


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
        shared: SharedSlots | None = None,
    ) -> None:
        self.overall = Gcra(rate, burst)
        self.shared = shared  # when set, overall slots come from it (clock: the wall clock)
        self.per_channel = Gcra(per_channel, channel_burst) if per_channel else None
        self.clock = clock
        self.sleep = sleep
        self._turn = asyncio.Lock()
        self._queued = 0  # sends waiting for an overall slot, the one being served included

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
        self._queued += 1
        try:
            async with self._turn:  # one waiter at a time: a stall never releases a clump
                if self.shared is not None:
                    await self._shared_slot(self.shared)
                    return
                now = self.clock()
                delay = self.overall.reserve(now)
                if delay > 0:
                    await self.sleep(delay)
                woke = self.clock()
                if woke - (now + delay) > self.overall.interval:
                    self.overall.settle(woke)  # late by more than a slot: start afresh
        finally:
            self._queued -= 1

    async def _shared_slot(self, shared: SharedSlots) -> None:
        """Wait for a slot of the shared line; one missed by more than `late` is dropped."""
        while True:
            now = self.clock()
            slot = await shared.take(now, self._queued)
            if slot > now:
                await self.sleep(slot - now)
            if self.clock() - slot <= shared.late:
                return
            shared.dropped += 1


# The [digest] rates are the platforms' limits; sends are paced this far under them so
# that jitter in when requests reach the platform (event-loop scheduling, connection
# reuse) does not push a burst over the limit.
HEADROOM = 0.98


def pacer_for(
    platform: str, digest: DigestConfig, line: SlotLine | None = None, token: str = ""
) -> Pacer:
    """The pacer for a platform, from the [digest] rate keys, with headroom; with a
    `line` (the store) and the bot's token, the overall rate is shared across processes."""
    if platform == "telegram":
        # 20 a minute per group becomes one slot every 3 s per chat: never a burst.
        per_chat = digest.telegram_chat_per_minute / 60.0
        rate, per_channel = digest.telegram_rate * HEADROOM, per_chat * HEADROOM
    elif platform == "discord":
        rate = digest.discord_rate * HEADROOM
        per_channel = digest.discord_channel_per_second * HEADROOM
    else:
        return Pacer(digest.console_rate)
    if line is None or not token:
        return Pacer(rate, per_channel)
    shared = SharedSlots(line, pacing_key(platform, token), rate)
    return Pacer(rate, per_channel, clock=time.time, shared=shared)


def pacing_key(platform: str, token: str) -> str:
    """The store's key for a bot's limit: the platform and a hash, never the token itself."""
    return f"{platform}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"
