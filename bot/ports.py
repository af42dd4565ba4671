"""All the core knows of the outside: analysers, and the adapters that send.

Each protocol is small on purpose: the Claude analyser and the offline one are
interchangeable, and so are Telegram, Discord and the console.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from bot.errors import PrismError
from bot.models import Article, ChannelRef, Draft, Reply


class Analyzer(Protocol):
    """Writes a Draft for an article. Constructed with the categories and language."""

    backend: str  # "offline" | "claude"
    model: str
    prompt_version: str

    async def analyze(self, article: Article) -> Draft:
        """One article, interactively. Raises a PrismError subclass on failure."""
        ...

    async def analyze_many(self, articles: Sequence[Article]) -> list[Draft | PrismError]:
        """Many articles for non-interactive work (feeds, re-analysis), in input order."""
        ...

    async def aclose(self) -> None: ...


class Sender(Protocol):
    """The part of an adapter that the scheduler uses to deliver digests."""

    platform: str

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        """Deliver `reply` (split as the platform needs). Raises ChannelGone,
        ChannelMoved or SendFailed; returns once the platform accepted every part."""
        ...


class Adapter(Sender, Protocol):
    """A platform connection with an explicit lifecycle on the shared event loop.

    `async with adapter:` is start() then stop(); the composition root (bot/app.py)
    enters adapters that way so shutdown runs in the reverse order of start-up.
    """

    async def __aenter__(self) -> Self:
        """start(), as a context."""
        ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """stop(), as a context."""
        ...

    async def start(self) -> None:
        """Connect and begin receiving; returns once running."""
        ...

    async def stop(self) -> None:
        """Stop receiving, finish in-flight replies, disconnect."""
        ...
