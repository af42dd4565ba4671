"""Which language a reader gets: checking codes, bounding many at once, and picking
each article's variant for a channel (digests, related, lists).

Labels live in bot.i18n; this module decides, and bot.i18n says.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot import i18n
from bot.errors import BadArguments, UnknownLanguage, UnsupportedLanguage
from bot.models import Analysis

# Variants one request may ask for at once (CLI `--language de,fr,…`): each is a model
# call paid from the requester's budget, so a long list is refused, not queued.
MAX_LANGUAGES_AT_ONCE = 4


def check_language(code: str) -> str:
    """`code` as the base code analyses are stored under; a specific error otherwise."""
    text = code.strip()
    base = i18n.base_language(text)
    if not text or not i18n.known(text):
        raise UnknownLanguage(
            f"unknown language code {text!r}: use a two-letter ISO 639-1 code such as "
            f"{i18n.some_written()}"
        )
    if not i18n.written(base):
        raise UnsupportedLanguage(
            f"analyses are not written in {base!r} well enough to offer it; "
            f"choose one of: {', '.join(sorted(i18n.WRITTEN))}"
        )
    return base


def check_languages(text: str) -> list[str]:
    """`de,fr ja` as checked base codes, in order, once each, at most the bound."""
    codes = list(dict.fromkeys(c for c in text.replace(",", " ").split() if c))
    if not codes:
        raise BadArguments("name a language code, e.g. de")
    if len(codes) > MAX_LANGUAGES_AT_ONCE:
        raise BadArguments(
            f"{len(codes)} languages at once is too many: at most {MAX_LANGUAGES_AT_ONCE} "
            "per request (each is a model call from your budget); ask again for the rest"
        )
    return list(dict.fromkeys(check_language(c) for c in codes))


def prefer_language(analyses: Iterable[Analysis], language: str | None) -> list[Analysis]:
    """One analysis per article, in the order articles are first met: its `language`
    variant when the list holds one, else its original (the oldest variant)."""
    chosen: dict[int, Analysis] = {}
    for analysis in analyses:
        held = chosen.get(analysis.article_id)
        if held is None or _better(analysis, held, language):
            chosen[analysis.article_id] = analysis
    return list(chosen.values())


def _better(candidate: Analysis, held: Analysis, language: str | None) -> bool:
    if language and (candidate.language == language) != (held.language == language):
        return candidate.language == language
    return candidate.id < held.id
