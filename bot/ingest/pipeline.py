"""fetch → extract → analyse → store, for one link, callable by anyone.

A chat request (through the resolver), the CLI and a news feed all run the same steps.
The pipeline knows nothing of users: whoever calls it may pass a `gate`, awaited just
before money or time is spent (a fetch, a model call), that raises to refuse (a budget
reached). Nothing is half-stored: the analysis, its article and its URLs are saved in
one transaction, after every step succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from bot.config import Config
from bot.errors import PrismError
from bot.i18n import base_language
from bot.ingest import links
from bot.logs import event
from bot.models import Analysis, Article, Draft
from bot.ports import Analyzer, Extractor, Fetcher
from bot.store import StoreContract, utcnow

log = logging.getLogger("prism.pipeline")

Gate = Callable[[], Awaitable[None]]


async def _open_gate() -> None:
    """No limit: the caller pays whatever it costs."""


class Pipeline:
    """One link in, one stored analysis out: `await pipeline.run(url)`."""

    def __init__(
        self,
        store: StoreContract,
        fetcher: Fetcher,
        extractor: Extractor,
        analyzer: Analyzer,
        config: Config,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.extractor = extractor
        self.analyzer = analyzer
        self.config = config
        self.clock = clock

    def wanted(self, language: str | None) -> str | None:
        """The variant to look for: `language` as a base code, or None (any variant)
        when none is asked for or the analyser cannot write another language."""
        if not language or not self.analyzer.translates:
            return None
        return base_language(language)

    async def run(
        self,
        url: str,
        *,
        refresh: bool = False,
        gate: Gate = _open_gate,
        canonical: str | None = None,
        language: str | None = None,
    ) -> tuple[Analysis, bool]:
        """The analysis of `url` in `language` and whether it was generated now.

        A stored variant is returned as is (generated False) unless `refresh`, which
        redoes it from the stored text (no second fetch). A language not stored yet for
        a stored article is made from the stored analysis and text (no fetch either).
        `gate` is awaited before fetching or analysing; `canonical` spares
        canonicalising again.
        """
        canonical = canonical or links.canonicalize(url)
        want = self.wanted(language)
        stored = await self.store.analyses.by_url(canonical, want)
        if stored is not None and not refresh:
            return stored, False
        base = stored or (await self.store.analyses.by_url(canonical) if want else None)
        if base is not None:
            article = await self.store.analyses.article(base.article_id)
            if article is not None:  # from the stored text: no second fetch
                await gate()
                if stored is None and want is not None:
                    draft = await self.analyzer.translate(base, article, want)
                else:
                    draft = await self.analyzer.analyze(article, want)
                return await self._save(article, draft, (url, canonical)), True
        await gate()
        article = await self._article(url, canonical)
        if not refresh and article.canonical_url != canonical:
            # e.g. an AMP page whose canonical article was analysed already
            known = await self.store.analyses.by_url(article.canonical_url, want)
            if known is not None:
                await self.store.analyses.add_url(known.article_id, canonical)
                await self.store.analyses.add_url(known.article_id, url)
                return known, False
        draft = await self.analyzer.analyze(article, want)
        return await self._save(article, draft, (url, canonical)), True

    async def _article(self, url: str, canonical: str) -> Article:
        """Fetch and extract; the article carries the page's own canonical URL."""
        page = await self.fetcher.fetch(url)
        event(log, "fetch", url=canonical, status=page.status, bytes=len(page.body))
        article = await self.extractor.extract(page)
        return replace(article, url=url, canonical_url=_page_canonical(article, canonical))

    async def _save(self, article: Article, draft: Draft, urls: tuple[str, ...]) -> Analysis:
        category = self.config.category(draft.category) or self.config.categories.names[0]
        return await self.store.analyses.save(
            article, replace(draft, category=category), urls, created_at=self.clock()
        )


def _page_canonical(article: Article, requested: str) -> str:
    """Prefer the page's own canonical URL, when it is a usable http(s) link."""
    try:
        return links.canonicalize(article.canonical_url) if article.canonical_url else requested
    except PrismError:
        return requested
