"""`async with part:` as start() then stop(), written once for every part that has both."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class StartStop:
    """Mixed into a part with start() and stop() (adapters, the scheduler), so the
    composition root can enter it as a context and shutdown runs in reverse order."""

    async def start(self) -> None:
        """Begin working; returns once running."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop working, let what is in flight finish."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        """start(), as a context."""
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leaving the block stops the part."""
        await self.stop()
