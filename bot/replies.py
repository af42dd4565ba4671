"""Builders of the neutral reply documents; adapters decide how they look."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from bot import i18n
from bot.errors import PrismError
from bot.models import Action, Analysis, Group, Item, Link, Paragraph, Reply, Source

_BACKENDS = ("claude", "offline", "seed")  # the generators i18n has labels for

# English, for callers that show one language (the web site's defaults)
DISCLAIMERS = {b: i18n.text(i18n.DEFAULT, f"disclaimer.{b}") for b in _BACKENDS}
LABELS = {b: i18n.text(i18n.DEFAULT, f"label.{b}") for b in _BACKENDS}


def disclaimer(backend: str, language: str | None = None) -> str:
    """The AI disclaimer shown under an analysis by this backend, in `language`."""
    return i18n.text(language, f"disclaimer.{_known(backend)}")


def meta_line(analysis: Analysis) -> str:
    """ "Economy · 3 min read · AI analysis" — what the example page shows under the title,
    in the analysis's language."""
    language = analysis.language
    label = i18n.text(language, f"label.{_known(analysis.generator.backend)}")
    return f"{analysis.category} · {_minutes(analysis)} · {label}"


def _known(backend: str) -> str:
    return backend if backend in _BACKENDS else "default"


def _minutes(analysis: Analysis) -> str:
    return i18n.text(analysis.language, "min_read", n=analysis.reading_minutes)


def analysis_reply(
    analysis: Analysis,
    web_url: str | None = None,
    thoughts: bool = False,
    wanted: str | None = None,
    also_covered_by: Sequence[str] = (),
) -> Reply:
    """The whole analysis as a reply; `web_url` adds "Read on the web", `thoughts` the
    Useful / Inaccurate buttons, `also_covered_by` the other outlets of its story; a
    `wanted` language it is not in adds a note, in that language, that it could not be
    translated."""
    source = analysis.source
    publisher = source.publisher or _host(source.url)
    blocks: list[Paragraph | Link | Group] = [Paragraph(analysis.dek)]
    if wanted and i18n.base_language(wanted) != i18n.base_language(analysis.language):
        name = i18n.language_name(analysis.language)
        blocks.insert(0, Paragraph(i18n.text(wanted, "untranslated", language=name)))
    blocks.extend(
        Group(s.heading, tuple(Paragraph(p) for p in s.paragraphs)) for s in analysis.sections
    )
    source_label = i18n.text(analysis.language, "source")
    blocks.append(Link(f"{source_label}: {publisher} — {source.title}", source.url))
    if also_covered_by:
        blocks.append(Paragraph(also_covered(also_covered_by)))
    return Reply(
        kind="analysis",
        title=analysis.headline,
        title_url=source.url,
        meta=meta_line(analysis),
        blocks=tuple(blocks),
        footer=disclaimer(analysis.generator.backend, analysis.language),
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
        meta=meta or f"{analysis.category} · {_minutes(analysis)}",
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


def error_reply(error: PrismError, about: str | None = None) -> Reply:
    """A failure as a short, specific error reply; `about` names the link it concerns."""
    text = _sentence(error.message)
    return Reply(
        kind="error",
        blocks=(Paragraph(f"{about}: {text}" if about else text),),
        ephemeral=True,
        error=error.kind,
    )


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def _host(url: str) -> str:
    return urlsplit(url).hostname or url
