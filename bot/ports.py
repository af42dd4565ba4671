"""All the core knows of the outside: the parts of the pipeline, and the adapters.

Each protocol is small on purpose: the Claude analyser and the offline one are
interchangeable, and so are Telegram, Discord and the console. Every part the core
owns closes the same way, with `aclose()` (see `Closeable`). The store's own
contract is bot.store.contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from bot.errors import PrismError
from bot.models import Analysis, Article, ChannelRef, Draft, Page, Reply


class Closeable(Protocol):
    """A part with resources to release: the owner calls `aclose()` once, at shutdown."""

    async def aclose(self) -> None:
        """Release connections, threads and files; safe to call once."""
        ...


class HostResolver(Protocol):
    """Turns a host name into addresses; injectable so tests control what names mean."""

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address of `host` (numeric strings), or an empty list."""
        ...


class Fetcher(Closeable, Protocol):
    """Fetches one public page, refusing anything the SSRF rules forbid."""

    async def fetch(self, url: str) -> Page:
        """The page at `url` after redirects; a PrismError subclass when refused."""
        ...


class Extractor(Closeable, Protocol):
    """Turns a fetched page into an article (text and metadata)."""

    async def extract(self, page: Page) -> Article:
        """The article on `page`, or NotAnArticle."""
        ...


class Embedder(Protocol):
    """Turns texts into unit vectors of a fixed size. CPU-bound: called off the loop."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in input order."""
        ...


class Analyzer(Closeable, Protocol):
    """Writes a Draft for an article. Constructed with the categories and language."""

    backend: str  # "offline" | "claude"
    model: str
    prompt_version: str
    translates: bool  # can write another language than the article's (offline cannot)

    async def analyze(self, article: Article, language: str | None = None) -> Draft:
        """One article, interactively, written in `language` when the analyser
        translates (None: its configured default). Raises a PrismError on failure."""
        ...

    async def translate(self, source: Analysis, article: Article, language: str) -> Draft:
        """Another language's variant of a stored analysis, made from it and the stored
        article text (never a second fetch)."""
        ...

    async def analyze_many(self, articles: Sequence[Article]) -> list[Draft | PrismError]:
        """Many articles for non-interactive work (feeds, re-analysis), in input order."""
        ...


class Sender(Protocol):
    """The part of an adapter that the scheduler uses to deliver digests."""

    platform: str

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        """Deliver `reply` (split as the platform needs). Raises ChannelGone,
        ChannelMoved or SendFailed; returns once the platform accepted every part."""
        ...


class Lifecycle(Protocol):
    """A part on the shared event loop: `async with part:` is start() then stop(); the
    composition root (bot/app.py) enters parts that way so shutdown runs in reverse."""

    platform: str

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


class Service(Lifecycle, Protocol):
    """A part that receives but sends no digests: the web site, the feed poller."""

    @property
    def url(self) -> str:
        """Where it answers, for the operator (`http://127.0.0.1:8080`); may be empty."""
        ...


class Adapter(Sender, Lifecycle, Protocol):
    """A chat platform connection: it receives requests and delivers digests."""

    async def start(self) -> None:
        """Connect and begin receiving; returns once running."""
        ...

    async def stop(self) -> None:
        """Stop receiving, finish in-flight replies, disconnect."""
        ...


@runtime_checkable
class Interruptible(Protocol):
    """An adapter where Ctrl-C can mean "cancel this request" (the console)."""

    def interrupt(self) -> bool:
        """Cancel the request in flight; False when there is none to cancel."""
        ...
