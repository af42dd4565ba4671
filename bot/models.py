"""Boundary types: what crosses between adapters, the core, analysers and the store.

Plain frozen dataclasses, so every layer can build and compare them without a
database or a platform in sight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# --- channels and requests --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A place messages go: `telegram:-1001234`, `discord:9876`, `console:local`."""

    platform: str
    id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> ChannelRef:
        """`telegram:-100123` as a ChannelRef; ValueError names the expected form."""
        platform, sep, ident = text.partition(":")
        if not sep or not platform or not ident:
            raise ValueError(f"not a channel reference: {text!r} (want platform:id)")
        return cls(platform, ident)


@dataclass(frozen=True, slots=True)
class Request:
    """One chat command, as every adapter hands it to the core.

    `command` is the command word without the slash (`analyze`, `related`, …) or
    `message` for free text. `text` is everything after the command word.
    """

    command: str
    text: str
    channel: ChannelRef
    user: str
    is_admin: bool = False
    is_private: bool = True
    reply_to: int | None = None  # id of the analysis the message replies to, if known
    # The platform's language hint: a Telegram user's language_code (private chats), a
    # Discord guild's preferred locale. A channel's /language setting wins over it.
    language: str | None = None


# --- articles and analyses ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    """What the fetcher brought back: raw bytes, so the extractor decides the charset."""

    url: str  # the URL that was asked for
    final_url: str  # after redirects
    status: int
    content_type: str
    charset: str | None  # from the Content-Type header or a <meta>, if any
    body: bytes


@dataclass(frozen=True, slots=True)
class Article:
    """The extracted article; its text is kept so analyses can be redone offline."""

    url: str
    canonical_url: str
    title: str
    text: str
    words: int
    author: str | None = None
    published_at: str | None = None  # ISO 8601 date or datetime
    site: str | None = None
    language: str | None = None
    # The publisher's own section labels, most trusted first (article:section, JSON-LD
    # articleSection, breadcrumbs, the URL's first path segment): a category hint.
    sections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """One headed part of an analysis."""

    heading: str
    paragraphs: tuple[str, ...]


def sections_text(sections: tuple[Section, ...]) -> str:
    """Headings and paragraphs as plain text: what reading time and search work on."""
    return "\n\n".join(p for s in sections for p in (s.heading, *s.paragraphs))


@dataclass(frozen=True, slots=True)
class Usage:
    """Model tokens one generation used (for stats and cost)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Generator:
    """Who wrote an analysis: backend, model, prompt version and usage."""

    backend: str  # "offline" | "claude"
    model: str
    prompt_version: str
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True)
class Draft:
    """What an analyser returns; the core adds ids, reading time and dates."""

    headline: str
    dek: str
    category: str
    sections: tuple[Section, ...]
    tags: tuple[str, ...]
    language: str
    generator: Generator
    key_question: str = ""
    flags: tuple[str, ...] = ()  # e.g. "ungrounded: 4.7 billion" left after repair


@dataclass(frozen=True, slots=True)
class Source:
    """The article an analysis is about, as shown to readers."""

    url: str
    publisher: str | None
    title: str
    published_at: str | None


@dataclass(frozen=True, slots=True)
class Analysis:
    """A stored analysis: what every platform renders and the CLI prints."""

    id: int
    article_id: int
    url: str  # the first URL that led to the article
    canonical_url: str
    headline: str
    dek: str
    category: str
    sections: tuple[Section, ...]
    tags: tuple[str, ...]
    language: str
    key_question: str
    reading_minutes: int
    source: Source
    generator: Generator
    created_at: datetime
    requests: int = 0
    flags: tuple[str, ...] = ()


ThoughtKind = Literal["useful", "inaccurate"]
THOUGHT_KINDS: tuple[ThoughtKind, ...] = ("useful", "inaccurate")


@dataclass(frozen=True, slots=True)
class Thoughts:
    """Readers' reactions to one analysis: how many found it useful or inaccurate."""

    useful: int = 0
    inaccurate: int = 0


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's digest subscription: categories, time, zone, active flag."""

    id: int
    channel: ChannelRef
    categories: tuple[str, ...]
    time: str  # "HH:MM", local to `timezone`
    timezone: str  # IANA name
    active: bool = True
    created_at: datetime | None = None


# --- replies: a small document model that adapters render -----------------------------


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A block of plain text."""

    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A labelled link."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a list: a digest line, a related article, a subscription."""

    title: str
    text: str = ""
    meta: str = ""  # "Economy · 3 min read" or a reason such as "shares: Ford, Xiaomi"
    url: str | None = None  # the source link
    analysis_id: int | None = None  # lets a renderer offer "open this analysis"
    page_url: str | None = None  # the analysis's web page, when [web] base_url is set


@dataclass(frozen=True, slots=True)
class Group:
    """A headed part of a reply: an analysis section, or a digest's category."""

    heading: str
    blocks: tuple[Paragraph | Item | Link, ...]


Block = Paragraph | Link | Item | Group


@dataclass(frozen=True, slots=True)
class Action:
    """A button: `related` and `open` call back into the core, `source` and `web` open a URL."""

    # `web`: the analysis's page; `useful` / `inaccurate`: a reader's Thoughts
    kind: Literal["related", "open", "source", "web", "useful", "inaccurate"]
    label: str
    analysis_id: int | None = None
    url: str | None = None


ReplyKind = Literal["analysis", "digest", "related", "info", "error"]


@dataclass(frozen=True, slots=True)
class Reply:
    """What the core answers. Text is plain and unescaped: renderers escape it."""

    kind: ReplyKind
    title: str | None = None
    title_url: str | None = None
    meta: str | None = None  # one line under the title: category, reading time, date
    blocks: tuple[Block, ...] = ()
    footer: str | None = None  # the disclaimer, rendered quietly (italic / embed footer)
    actions: tuple[Action, ...] = ()
    ephemeral: bool = False  # Discord: only the caller sees it
    error: str | None = None  # the failure kind for error replies, e.g. "blocked"
    analysis_id: int | None = None
    category: str | None = None

    def plain_text(self) -> str:
        """Everything a reader would see, as plain text (console, logs and tests)."""
        lines: list[str] = []
        for value in (self.title, self.meta):
            if value:
                lines.append(value)
        for block in self.blocks:
            lines.extend(_block_lines(block))
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)


def _block_lines(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, Link):
        return [f"{block.label}: {block.url}"]
    if isinstance(block, Item):
        line = " — ".join(p for p in (block.title, block.text, block.meta) if p)
        return [f"• {line}" + (f" ({block.url})" if block.url else "")]
    out = [block.heading]
    for inner in block.blocks:
        out.extend(_block_lines(inner))
    return out
