"""`[anthropic] batch = true`: feed items go through the Message Batches API (half price).

Chat requests stay interactive: only calls made inside `batched()` (the feed poller's
items) are queued. Articles queued within `window_s` of each other share one batch
(`analyze_many`, polled every `[anthropic] batch_poll_s`); an item the batch could not
answer (expired, errored, canceled, failed validation) — or a whole batch that could not
be created — is redone item by item through the interactive call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from contextvars import ContextVar

from bot.errors import PrismError
from bot.logs import event
from bot.models import Analysis, Article, Draft
from bot.ports import Analyzer

log = logging.getLogger("prism.analyzer")

_BATCHED: ContextVar[bool] = ContextVar("prism_batched", default=False)
WINDOW_S = 1.0


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Analyses asked for inside this block (and the tasks it starts) may be batched."""
    token = _BATCHED.set(True)
    try:
        yield
    finally:
        _BATCHED.reset(token)


class BatchingAnalyzer:
    """Wraps the Claude analyser: batched callers share Message Batches, others pass."""

    def __init__(self, inner: Analyzer, window_s: float = WINDOW_S) -> None:
        self.inner = inner
        self.window_s = window_s
        self.backend = inner.backend
        self.model = inner.model
        self.prompt_version = inner.prompt_version
        self.translates = inner.translates
        self.batches = 0  # batches sent (for tests and logs)
        self.fallbacks = 0  # items redone interactively
        self._queue: list[tuple[Article, asyncio.Future[Draft]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def analyze(self, article: Article, language: str | None = None) -> Draft:
        """Interactive unless called inside `batched()` (feeds, in the article's own
        language); then queued for the next batch."""
        if not _BATCHED.get() or language is not None:
            return await self.inner.analyze(article, language)
        future: asyncio.Future[Draft] = asyncio.get_running_loop().create_future()
        self._queue.append((article, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_later(), name="prism-batch")
        return await future

    async def translate(self, source: Analysis, article: Article, language: str) -> Draft:
        """Another language of a stored analysis: always interactive."""
        return await self.inner.translate(source, article, language)

    async def analyze_many(self, articles: Sequence[Article]) -> list[Draft | PrismError]:
        """Straight to the inner analyser's batch."""
        return await self.inner.analyze_many(articles)

    async def aclose(self) -> None:
        """Stop a pending flush (its callers are cancelled) and close the inner analyser."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        for _, future in self._queue:
            future.cancel()
        self._queue = []
        await self.inner.aclose()

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.window_s)
        queued, self._queue = self._queue, []
        self._flusher = None
        await self._send([a for a, _ in queued], [f for _, f in queued])

    async def _send(self, articles: list[Article], futures: list[asyncio.Future[Draft]]) -> None:
        self.batches += 1
        try:
            results: Sequence[Draft | PrismError] = await self.inner.analyze_many(articles)
        except PrismError as exc:
            event(log, "batch_failed", logging.WARNING, kind=exc.kind, reason=exc.message)
            results = [exc] * len(articles)
        except BaseException:  # cancelled (shutdown) or a bug: the callers stop too
            for future in futures:
                future.cancel()
            raise
        await asyncio.gather(
            *(self._settle(a, f, r) for a, f, r in zip(articles, futures, results, strict=True))
        )

    async def _settle(
        self, article: Article, future: asyncio.Future[Draft], result: Draft | PrismError
    ) -> None:
        if future.done():  # the caller went away
            return
        if isinstance(result, PrismError):
            self.fallbacks += 1
            event(log, "batch_item_interactive", kind=result.kind, url=article.canonical_url)
            try:
                result = await self.inner.analyze(article)
            except PrismError as exc:
                if not future.done():
                    future.set_exception(exc)
                return
        if not future.done():
            future.set_result(result)
