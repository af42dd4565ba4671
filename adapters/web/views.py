"""Template contexts built from core types: plain values, nothing pre-escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.web.security import safe_url
from bot.i18n import language_name
from bot.models import Analysis, Section, Source
from bot.permalinks import page_path
from bot.related import RelatedHit
from bot.replies import LABELS, disclaimer, first_sentence, outlet

DESCRIPTION_MAX = 200


@dataclass(frozen=True, slots=True)
class Card:
    """One analysis in a list, a feed or the sitemap."""

    id: int
    headline: str
    category: str
    label: str
    minutes: int
    lead: str
    dek: str
    path: str
    url: str
    created_iso: str
    created_day: str


@dataclass(frozen=True, slots=True)
class Page:
    """Everything the analysis page shows."""

    id: int
    headline: str
    description: str
    category: str
    label: str
    minutes: int
    dek: str
    sections: tuple[Section, ...]
    source_url: str | None
    publisher: str
    disclaimer: str
    backend: str
    model: str
    prompt_version: str
    created_iso: str
    created_text: str
    updated_iso: str
    updated_text: str


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """A Related article: where it is and why it is related."""

    path: str
    headline: str
    category: str
    reason: str


def label(analysis: Analysis) -> str:
    """The honest label: "AI analysis", "Automatic extract" (or "Sample analysis")."""
    return LABELS.get(analysis.generator.backend, "Analysis")


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC, as Atom and <time> want it."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def card(analysis: Analysis, base: str) -> Card:
    """An analysis as a list entry with its absolute URL."""
    path = page_path(analysis.id, analysis.headline)
    return Card(
        id=analysis.id,
        headline=analysis.headline,
        category=analysis.category,
        label=label(analysis),
        minutes=analysis.reading_minutes,
        lead=first_sentence(analysis.dek),
        dek=analysis.dek,
        path=path,
        url=base + path,
        created_iso=iso(analysis.created_at),
        created_day=analysis.created_at.strftime("%d %b %Y"),
    )


def page(analysis: Analysis) -> Page:
    """The analysis page's content; the source link only when it is http(s)."""
    source = analysis.source
    created = analysis.created_at
    return Page(
        id=analysis.id,
        headline=analysis.headline,
        description=first_sentence(analysis.dek, DESCRIPTION_MAX),
        category=analysis.category,
        label=label(analysis),
        minutes=analysis.reading_minutes,
        dek=analysis.dek,
        sections=analysis.sections,
        source_url=safe_url(source.url),
        publisher=source.publisher or source.title or "the original article",
        disclaimer=disclaimer(analysis.generator.backend),
        backend=analysis.generator.backend,
        model=analysis.generator.model,
        prompt_version=analysis.generator.prompt_version,
        created_iso=iso(created),
        created_text=created.strftime("%d %b %Y, %H:%M UTC"),
        # A refresh replaces an analysis in place and keeps created_at: until the store
        # records its own updated time, the page shows the one date it knows twice.
        updated_iso=iso(created),
        updated_text=created.strftime("%d %b %Y, %H:%M UTC"),
    )


def related_link(hit: RelatedHit) -> RelatedLink:
    """One Related article with its reason."""
    a = hit.analysis
    return RelatedLink(page_path(a.id, a.headline), a.headline, a.category, hit.reason)


@dataclass(frozen=True, slots=True)
class VariantLink:
    """The same analysis in another language: what the page links to (with hreflang)."""

    path: str
    url: str
    language: str
    name: str  # the language's own name: Deutsch, 日本語


def variant_link(analysis: Analysis, base: str) -> VariantLink:
    """A link to `analysis`'s page, labelled with its language's own name."""
    path = page_path(analysis.id, analysis.headline)
    return VariantLink(path, base + path, analysis.language, language_name(analysis.language))


@dataclass(frozen=True, slots=True)
class OtherSource:
    """Another outlet that covered the same story, as the page links it."""

    name: str
    url: str | None


def other_sources(sources: Sequence[Source]) -> list[OtherSource]:
    """A story's other outlets (its publisher or host), linked only when http(s)."""
    return [OtherSource(outlet(s), safe_url(s.url)) for s in sources]
