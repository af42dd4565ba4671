"""Link -> canonical URL -> stored analysis, or fetch -> extract -> analyse -> store.

The same link asked for by many people at once is fetched and analysed once (single
flight per canonical URL); a link that failed is remembered for a while (negative
cache), so a flood of bad links costs little. Nothing is stored unless the whole
pipeline succeeded: the analysis, its article and its URLs go in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.config import Config
from bot.errors import (
    BlockedAddress,
    BudgetReached,
    FetchFailed,
    NotAnArticle,
    PageNotFound,
    PrismError,
    TimedOut,
    TooLarge,
    TooManyRedirects,
)
from bot.ingest import links
from bot.logs import event
from bot.models import Analysis, Article, Draft, Page
from bot.ports import Analyzer
from bot.store import Store, utcnow

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


class Fetcher(Protocol):
    async def fetch(self, url: str) -> Page: ...


class Extractor(Protocol):
    async def extract(self, page: Page) -> Article: ...


@dataclass(frozen=True, slots=True)
class Resolution:
    analysis: Analysis
    cached: bool  # answered from the store, no generation


class Resolver:
    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        extractor: Extractor,
        analyzer: Analyzer,
        config: Config,
        clock: Callable[[], datetime] = utcnow,
        on_new: Callable[[Analysis], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.on_new = on_new  # told once per generated analysis (embeddings)
        self.fetcher = fetcher
        self.extractor = extractor
        self.analyzer = analyzer
        self.config = config
        self.clock = clock
        self._inflight: dict[str, asyncio.Task[tuple[Analysis, bool]]] = {}
        self._failed: dict[str, tuple[float, PrismError]] = {}

    async def resolve(
        self, url: str, *, user: str = "cli", channel: str = "cli", refresh: bool = False
    ) -> Resolution:
        """The analysis for `url`, generating it when new (or when `refresh`)."""
        canonical = links.canonicalize(url)
        if not refresh:
            stored = await self.store.analyses.by_url(canonical)
            if stored is not None:
                return Resolution(stored, cached=True)
        self._check_negative_cache(canonical)
        task = self._inflight.get(canonical)
        if task is None:
            task = asyncio.create_task(self._generate(url, canonical, user, channel, refresh))
            self._inflight[canonical] = task
            task.add_done_callback(lambda _: self._inflight.pop(canonical, None))
        # shield: one caller giving up must not cancel the work others wait for
        analysis, generated = await asyncio.shield(task)
        return Resolution(analysis, cached=not generated)

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

    async def _generate(
        self, url: str, canonical: str, user: str, channel: str, refresh: bool
    ) -> tuple[Analysis, bool]:
        """The analysis, and whether it was generated (not found under the page's
        canonical URL); run once per canonical URL however many callers wait."""
        started = time.perf_counter()
        try:
            analysis, generated = await self._pipeline(url, canonical, user, refresh)
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
            category=analysis.category,
            ms=round((time.perf_counter() - started) * 1000),
        )
        return analysis, True

    async def _pipeline(
        self, url: str, canonical: str, user: str, refresh: bool
    ) -> tuple[Analysis, bool]:
        stored = await self.store.analyses.by_url(canonical) if refresh else None
        if stored is not None:
            article = await self.store.analyses.article(stored.article_id)
            if article is not None:  # redo from the stored text: no second fetch
                await self._check_budget(user)
                draft = await self.analyzer.analyze(article)
                return await self._save(article, draft, (url, canonical)), True
        await self._check_budget(user)
        page = await self.fetcher.fetch(url)
        event(log, "fetch", url=canonical, status=page.status, bytes=len(page.body))
        article = await self.extractor.extract(page)
        article = replace(article, url=url, canonical_url=_page_canonical(article, canonical))
        if not refresh and article.canonical_url != canonical:
            # e.g. an AMP page whose canonical article was analysed already
            known = await self.store.analyses.by_url(article.canonical_url)
            if known is not None:
                await self.store.analyses.add_url(known.article_id, canonical)
                await self.store.analyses.add_url(known.article_id, url)
                return known, False
        draft = await self.analyzer.analyze(article)
        return await self._save(article, draft, (url, canonical)), True

    async def _save(self, article: Article, draft: Draft, urls: tuple[str, ...]) -> Analysis:
        category = self.config.category(draft.category) or self.config.categories.names[0]
        return await self.store.analyses.save(
            article, replace(draft, category=category), urls, created_at=self.clock()
        )

    async def _check_budget(self, user: str) -> None:
        """New analyses cost money and time: per user per hour, and per day overall."""
        now = self.clock()
        limits = self.config.limits
        hour_ago = now - timedelta(hours=1)
        recent = await self.store.usage.generations_since(hour_ago, user=user)
        if len(recent) >= limits.user_per_hour:
            resets = recent[0] + timedelta(hours=1)
            raise BudgetReached(
                f"you have asked for {limits.user_per_hour} new analyses in the last hour; "
                f"try again after {resets:%H:%M} UTC (stored analyses still answer at once)",
                resets,
            )
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        today = await self.store.usage.generations_since(day_start - timedelta(microseconds=1))
        if len(today) >= limits.global_per_day:
            resets = day_start + timedelta(days=1)
            raise BudgetReached(
                f"the daily budget of {limits.global_per_day} new analyses is used up; "
                f"it resets at {resets:%H:%M} UTC (stored analyses still answer at once)",
                resets,
            )


def _page_canonical(article: Article, requested: str) -> str:
    """Prefer the page's own canonical URL, when it is a usable http(s) link."""
    try:
        return links.canonicalize(article.canonical_url) if article.canonical_url else requested
    except PrismError:
        return requested
