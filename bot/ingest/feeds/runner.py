"""The `feeds` role: poll rounds on their own task, about every minute, until stopped.

A Service (bot/ports.py): it sends no digests. Leaving `async with` cancels the task,
even mid-round: each feed's poll is stored in one transaction, so a cancelled round
leaves finished feeds recorded and the others due again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from bot.ingest.feeds.poller import PollReport
from bot.logs import event

log = logging.getLogger("prism.feeds")

ROUND_EVERY_S = 60.0


class FeedRunner:
    """Runs `poll_due()` every `every_s` seconds after `start()` (sync, stories load)."""

    platform = "feeds"
    url = ""

    def __init__(
        self,
        start: Callable[[], Awaitable[None]],
        poll_due: Callable[[], Awaitable[PollReport]],
        every_s: float = ROUND_EVERY_S,
    ) -> None:
        self._start = start
        self._poll_due = poll_due
        self.every_s = every_s
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> FeedRunner:
        await self._start()
        self._task = asyncio.create_task(self._loop(), name="prism-feeds")
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self._poll_due()
            except Exception:  # one bad round must not end polling
                event(log, "feeds_round_failed", logging.ERROR, exc=True)
            self.rounds += 1
            await asyncio.sleep(self.every_s)
