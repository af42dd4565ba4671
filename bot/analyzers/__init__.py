"""Analysers: pick Claude or the offline one from the config, with a labelled fallback.

The core only ever sees the Analyzer protocol (bot/ports.py); this module decides which
implementation stands behind it. The Claude module is imported lazily so the offline
path never loads the Anthropic SDK.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.config import Config
from bot.errors import AnalysisUnavailable, ConfigError, GeneratorBusy, InvalidAnalysis, PrismError
from bot.logs import event
from bot.models import Analysis, Article, Draft
from bot.ports import Analyzer

__all__ = ["FallbackAnalyzer", "build_analyzer", "chosen_backend"]

log = logging.getLogger(__name__)

# Failures of the primary analyser that the fallback answers; anything else (a bug)
# propagates so it is seen, not hidden behind an offline answer.
FALLBACK_ON: tuple[type[PrismError], ...] = (GeneratorBusy, AnalysisUnavailable, InvalidAnalysis)


def chosen_backend(config: Config) -> str:
    """ "claude" or "offline": what `[analyzer] backend` means with the key as configured."""
    backend = config.analyzer.backend
    has_key = bool(config.anthropic.api_key)
    if backend == "claude" and not has_key:
        raise ConfigError(
            "[anthropic] api_key: required when [analyzer] backend = 'claude' "
            "(set it or the ANTHROPIC_API_KEY environment variable)"
        )
    return "claude" if backend == "claude" or (backend == "auto" and has_key) else "offline"


def build_analyzer(config: Config) -> Analyzer:
    """The analyser `[analyzer] backend` asks for, wrapped in the fallback if configured."""
    if chosen_backend(config) == "offline":
        return _offline(config)
    from bot.analyzers.claude import ClaudeAnalyzer

    claude: Analyzer = ClaudeAnalyzer.from_config(config)
    if config.anthropic.batch:  # feed items through the Message Batches API
        from bot.analyzers.batching import BatchingAnalyzer

        claude = BatchingAnalyzer(claude)
    if config.analyzer.fallback == "offline":
        return FallbackAnalyzer(claude, _offline(config))
    return claude


def _offline(config: Config) -> Analyzer:
    from bot.analyzers.offline import OfflineAnalyzer

    return OfflineAnalyzer(config.categories.names, config.analyzer.language)


class FallbackAnalyzer:
    """Claude first; the offline analyser when Claude is busy, misconfigured or invalid.

    The offline Draft keeps its own generator (backend "offline"), so a fallback
    answer is always labelled as what it is.
    """

    def __init__(self, primary: Analyzer, fallback: Analyzer) -> None:
        self.primary = primary
        self.fallback = fallback
        self.backend = primary.backend
        self.model = primary.model
        self.prompt_version = primary.prompt_version
        self.translates = primary.translates

    async def analyze(self, article: Article, language: str | None = None) -> Draft:
        """The primary's draft, or the fallback's (in the article's language, if it
        cannot translate) when the primary fails in a known way."""
        try:
            return await self.primary.analyze(article, language)
        except FALLBACK_ON as exc:
            event(
                log,
                "analyzer_fallback",
                logging.WARNING,
                backend=self.fallback.backend,
                kind=exc.kind,
                reason=exc.message,
                url=article.canonical_url,
            )
            return await self.fallback.analyze(article, language)

    async def translate(self, source: Analysis, article: Article, language: str) -> Draft:
        """The primary's translation; a failure propagates (no extract can translate)."""
        return await self.primary.translate(source, article, language)

    async def analyze_many(self, articles: Sequence[Article]) -> list[Draft | PrismError]:
        """The primary's batch; items it failed in a known way are redone offline."""
        try:
            results = await self.primary.analyze_many(articles)
        except FALLBACK_ON as exc:
            event(
                log, "analyzer_batch_fallback", logging.WARNING, kind=exc.kind, reason=exc.message
            )
            return await self.fallback.analyze_many(articles)
        out: list[Draft | PrismError] = []
        for article, result in zip(articles, results, strict=True):
            if isinstance(result, FALLBACK_ON):
                event(
                    log,
                    "analyzer_fallback",
                    logging.WARNING,
                    backend=self.fallback.backend,
                    kind=result.kind,
                    reason=result.message,
                    url=article.canonical_url,
                )
                out.append(await _one(self.fallback, article))
            else:
                out.append(result)
        return out

    async def aclose(self) -> None:
        """Close both analysers (the primary holds the HTTP client)."""
        try:
            await self.primary.aclose()
        finally:
            await self.fallback.aclose()


async def _one(analyzer: Analyzer, article: Article) -> Draft | PrismError:
    try:
        return await analyzer.analyze(article)
    except PrismError as exc:
        return exc
