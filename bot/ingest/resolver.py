"""Link -> canonical URL -> stored analysis, or the pipeline, for someone who pays.

The pipeline (bot.ingest.pipeline) does the work; the resolver adds what many callers
need around it. The same link asked for by many people at once is fetched and analysed
once (single flight per canonical URL: in-process by a shared task, across processes by
the store's `locks.generating`, after which the store is read again); a link that
failed is remembered for a while (negative cache), so a flood of bad links costs little.
Nothing is stored unless the whole pipeline succeeded: the analysis, its article and
its URLs go in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Config
from bot.errors import (
    BlockedAddress,
    FetchFailed,
    NotAnArticle,
    PageNotFound,
    PrismError,
    TimedOut,
    TooLarge,
    TooManyRedirects,
)
from bot.ingest import links
from bot.ingest.budgets import Budget, BudgetCheck
from bot.ingest.pipeline import Pipeline
from bot.logs import event
from bot.models import Analysis
from bot.ports import Analyzer, Extractor, Fetcher
from bot.store import StoreContract, utcnow

log = logging.getLogger("prism.resolver")

MAX_REMEMBERED = 10_000  # failed links held in the negative cache at most

# Failures that say something about the link itself, so repeating it is pointless.
_REMEMBERED = (
    BlockedAddress,
    FetchFailed,
    NotAnArticle,
    PageNotFound,
    TimedOut,
    TooLarge,
    TooManyRedirects,
)


__all__ = ["Budget", "Extractor", "Fetcher", "Resolution", "Resolver"]


@dataclass(frozen=True, slots=True)
class Resolution:
    """An answer to a link: the analysis, and whether it came from the store."""

    analysis: Analysis
    cached: bool  # answered from the store, no generation


class Resolver:
    """Single flight, negative cache, budgets and usage around the pipeline."""

    def __init__(
        self,
        store: StoreContract,
        fetcher: Fetcher,
        extractor: Extractor,
        analyzer: Analyzer,
        config: Config,
        clock: Callable[[], datetime] = utcnow,
        on_new: Callable[[Analysis], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.on_new = on_new  # told once per generated analysis (embeddings)
        self.pipeline = Pipeline(store, fetcher, extractor, analyzer, config, clock)
        self.config = config
        self.clock = clock
        self.check_budget = BudgetCheck(store.usage, config.limits, clock)
        # single flight per (canonical URL, variant language; None = any variant)
        self._inflight: dict[tuple[str, str | None], asyncio.Task[tuple[Analysis, bool]]] = {}
        self._failed: dict[str, tuple[float, PrismError]] = {}

    async def resolve(
        self,
        url: str,
        *,
        user: str = "cli",
        channel: str = "cli",
        refresh: bool = False,
        budget: Budget | None = None,
        language: str | None = None,
    ) -> Resolution:
        """The analysis for `url` in `language` (None: any stored variant), generating
        it when new (or when `refresh`).

        `budget` says who pays for a generation; by default `user`, as a chat user.
        """
        canonical = links.canonicalize(url)
        want = self.pipeline.wanted(language)
        if not refresh:
            stored = await self.store.analyses.by_url(canonical, want)
            if stored is not None:
                return Resolution(stored, cached=True)
        self._check_negative_cache(canonical)
        key = (canonical, want)
        task = self._inflight.get(key)
        if task is None:
            payer = budget or Budget.chat_user(user, self.config.limits)
            work = self._generate(url, canonical, payer, channel, refresh, want)
            task = asyncio.create_task(work)
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        # shield: one caller giving up must not cancel the work others wait for
        analysis, generated = await asyncio.shield(task)
        return Resolution(analysis, cached=not generated)

    async def aclose(self) -> None:
        """Cancel the generations in flight (Ctrl-C, shutdown) before the parts they use
        close under them, so none ends in an error nobody reads."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _check_negative_cache(self, canonical: str) -> None:
        remembered = self._failed.get(canonical)
        if remembered is None:
            return
        expires, error = remembered
        if time.monotonic() < expires:
            raise error
        del self._failed[canonical]

    def _remember_failure(self, canonical: str, error: PrismError) -> None:
        """Keep a failure for `negative_cache_s`; a flood of distinct bad links stays
        bounded (expired entries go first, then the oldest)."""
        now = time.monotonic()
        if len(self._failed) >= MAX_REMEMBERED:
            self._failed = {k: v for k, v in self._failed.items() if v[0] > now}
            while len(self._failed) >= MAX_REMEMBERED:
                del self._failed[next(iter(self._failed))]
        self._failed[canonical] = (now + self.config.fetch.negative_cache_s, error)

    async def _run_once(
        self,
        url: str,
        canonical: str,
        refresh: bool,
        gate: Callable[[], Awaitable[None]],
        language: str | None,
    ) -> tuple[Analysis, bool]:
        """The pipeline under the store's lock for this URL and language: another process
        (or Core on the same store) generating it meanwhile is waited for, and the
        pipeline's first step reads its analysis."""
        key = canonical if language is None else f"{canonical} {language}"
        async with self.store.locks.generating(key):
            return await self.pipeline.run(
                url, refresh=refresh, gate=gate, canonical=canonical, language=language
            )

    async def _generate(
        self,
        url: str,
        canonical: str,
        budget: Budget,
        channel: str,
        refresh: bool,
        language: str | None = None,
    ) -> tuple[Analysis, bool]:
        """The analysis, and whether it was generated (not found under the page's
        canonical URL); run once per (canonical URL, language) however many wait."""
        started = time.perf_counter()
        user = budget.payer

        async def gate() -> None:
            await self.check_budget(budget)

        try:
            analysis, generated = await self._run_once(url, canonical, refresh, gate, language)
        except PrismError as exc:
            if isinstance(exc, _REMEMBERED):
                self._remember_failure(canonical, exc)
            await self.store.usage.record("failure", user=user, channel=channel, detail=exc.kind)
            event(log, "analysis_failed", logging.INFO, url=canonical, kind=exc.kind)
            raise
        if not generated:
            return analysis, False
        if self.on_new is not None:
            await self.on_new(analysis)
        await self.store.usage.record(
            "generation",
            user=user,
            channel=channel,
            analysis_id=analysis.id,
            generator=analysis.generator,
        )
        event(
            log,
            "analysis",
            url=canonical,
            id=analysis.id,
            backend=analysis.generator.backend,
            language=analysis.language,
            category=analysis.category,
            ms=round((time.perf_counter() - started) * 1000),
        )
        return analysis, True
