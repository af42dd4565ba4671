"""Builders of the neutral reply documents; adapters decide how they look."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from bot.errors import PrismError
from bot.models import Action, Analysis, Group, Item, Link, Paragraph, Reply, Source

DISCLAIMERS = {
    "claude": (
        "AI analysis written by Claude from the source article. It can contain mistakes: "
        "check the source before relying on it."
    ),
    "offline": (
        "Automatic extract of the source article, made without AI: not an analysis. "
        "Read the source for the full story."
    ),
    "seed": "Sample analysis shipped with prism-bot to show what analyses look like.",
}
_DEFAULT_DISCLAIMER = "Generated automatically from the source article: check the source."

LABELS = {"claude": "AI analysis", "offline": "Automatic extract", "seed": "Sample analysis"}


def disclaimer(backend: str) -> str:
    """The AI disclaimer shown under an analysis by this backend."""
    return DISCLAIMERS.get(backend, _DEFAULT_DISCLAIMER)


def meta_line(analysis: Analysis) -> str:
    """ "Economy · 3 min read · AI analysis" — what the example page shows under the title."""
    label = LABELS.get(analysis.generator.backend, "Analysis")
    return f"{analysis.category} · {analysis.reading_minutes} min read · {label}"


def analysis_reply(
    analysis: Analysis,
    web_url: str | None = None,
    thoughts: bool = False,
    also_covered_by: Sequence[str] = (),
) -> Reply:
    """The whole analysis as a reply; `web_url` adds "Read on the web", `thoughts` the
    Useful / Inaccurate buttons, `also_covered_by` the other outlets of its story."""
    source = analysis.source
    publisher = source.publisher or _host(source.url)
    blocks: list[Paragraph | Link | Group] = [Paragraph(analysis.dek)]
    blocks.extend(
        Group(s.heading, tuple(Paragraph(p) for p in s.paragraphs)) for s in analysis.sections
    )
    blocks.append(Link(f"Source: {publisher} — {source.title}", source.url))
    if also_covered_by:
        blocks.append(Paragraph(also_covered(also_covered_by)))
    return Reply(
        kind="analysis",
        title=analysis.headline,
        title_url=source.url,
        meta=meta_line(analysis),
        blocks=tuple(blocks),
        footer=disclaimer(analysis.generator.backend),
        actions=(
            Action("related", "Related", analysis_id=analysis.id),
            Action("source", "Source", url=source.url),
            *([Action("web", "Read on the web", url=web_url)] if web_url else []),
            *(_thought_actions(analysis.id) if thoughts else ()),
        ),
        analysis_id=analysis.id,
        category=analysis.category,
    )


def also_covered(outlets: Sequence[str]) -> str:
    """ "Also covered by: Outlet A, Outlet B" (plain text: renderers escape it)."""
    return "Also covered by: " + ", ".join(dict.fromkeys(outlets))


def outlet(source: Source) -> str:
    """How a source's outlet is named to readers: its publisher, else its host."""
    return source.publisher or _host(source.url)


def _thought_actions(analysis_id: int) -> tuple[Action, ...]:
    return (
        Action("useful", "Useful", analysis_id=analysis_id),
        Action("inaccurate", "Inaccurate", analysis_id=analysis_id),
    )


def item_for(analysis: Analysis, meta: str = "", page_url: str | None = None) -> Item:
    """One analysis as a list entry (digests, related articles), with its page if any."""
    lead = first_sentence(analysis.dek)
    return Item(
        title=analysis.headline,
        text=lead,
        meta=meta or f"{analysis.category} · {analysis.reading_minutes} min read",
        url=analysis.source.url,
        analysis_id=analysis.id,
        page_url=page_url,
    )


def first_sentence(text: str, limit: int = 200) -> str:
    """A one-line lead: the first sentence, cut at a word boundary when long."""
    text = " ".join(text.split())
    for end in (". ", "? ", "! ", "。"):
        cut = text.find(end)
        if 0 < cut < limit:
            return text[: cut + 1].strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def info(
    title: str, *paragraphs: str, items: Sequence[Item] = (), ephemeral: bool = False
) -> Reply:
    """A short informational reply: a title, paragraphs and items."""
    blocks: tuple[Paragraph | Item, ...] = (*map(Paragraph, paragraphs), *items)
    return Reply(kind="info", title=title, blocks=blocks, ephemeral=ephemeral)


def error_reply(error: PrismError) -> Reply:
    """A failure as a short, specific error reply."""
    return Reply(
        kind="error",
        blocks=(Paragraph(_sentence(error.message)),),
        ephemeral=True,
        error=error.kind,
    )


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def _host(url: str) -> str:
    return urlsplit(url).hostname or url
