"""Counting answered requests in memory and writing them in batches, for every backend.

A cache hit would cost two commits if its usage row were written at once; requests are
statistics, so they are counted here and handed to the backend's writer about once a
second (or at FLUSH_AT rows), in one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

# (at, user, channel, analysis id, detail) of one answered request
RequestRow = tuple[datetime, str, str, int, str]
Writer = Callable[[list[RequestRow]], Awaitable[None]]


class RequestBatcher:
    """Pending request rows, written by `writer` on a timer, at a size, or on `flush`."""

    FLUSH_EVERY_S = 1.0
    FLUSH_AT = 500

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self._pending: list[RequestRow] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    def add(self, analysis_id: int, user: str, channel: str, detail: str) -> None:
        """Count one answered request; it is written within FLUSH_EVERY_S."""
        now = datetime.now(UTC).replace(microsecond=0)
        self._pending.append((now, user, channel, analysis_id, detail))
        if len(self._pending) >= self.FLUSH_AT:
            self._spawn_flush()
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.FLUSH_EVERY_S, self._spawn_flush)

    def _spawn_flush(self) -> None:
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Write every counted request now (on a timer, before reading totals, at close)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            await self._writer(batch)

    async def close(self) -> None:
        """Write what is counted and wait for flushes in flight."""
        await self.flush()
        if self._flushing:
            await asyncio.gather(*self._flushing)
