"""Article text and metadata from a fetched page, off the event loop.

trafilatura does the main work; readability-lxml is the fallback when trafilatura
finds too little. Both see text decoded with the right charset (header, then
`<meta>`, then detection), never a mis-decoded string.

Whether a page is an article is decided from its structure, not a word count alone:
a brief of `[extract] min_words` (40) words or more is kept when the page says it is
an article (og:type, a JSON-LD article type, an <article> element) and the text is
prose (sentences in paragraphs); without that it needs `_PLAIN_WORDS`. Paywall
teasers (JSON-LD isAccessibleForFree false, paywall markup) and link lists (section
fronts, navigation) are refused, each with its own reason.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import re
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import lxml.etree
import lxml.html
import trafilatura
from readability import Document as Readability

from bot.analyzers.offline import detect_language
from bot.config import ExtractConfig
from bot.errors import NotAnArticle
from bot.logs import event
from bot.models import Article, Page
from bot.text import word_count

__all__ = ["Extractor", "decode_html", "readability_text"]

log = logging.getLogger(__name__)

# WHATWG encoding labels that browsers read as a superset codec.
_SUPERSETS = {
    "ascii": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "us-ascii": "cp1252",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_BLOCKS = ("p", "li", "h2", "h3", "h4", "blockquote", "pre", "dd")
_PLAIN_WORDS = 150  # what a page needs when nothing in its markup says "article"
_PROSE_LINE_WORDS = 8  # a paragraph of prose: this many words, ending a sentence
_LINK_SHARE = 0.5  # a page whose text is mostly link text is a list of links
_ARTICLE_TYPES = re.compile(r"(?:Article|BlogPosting|Report)$")
_PAYWALL_MARKUP = re.compile(
    r"(?:^|[\s_-])(?:paywall|pay-wall|regwall|subscriber-only|subscribers-only|"
    r"premium-content|meteredcontent|piano-offer|subscription-wall)(?:$|[\s_-])",
    re.IGNORECASE,
)
_GENERIC_CRUMBS = frozenset(  # labels and path segments that name no section
    (
        "home",
        "homepage",
        "start",
        "startseite",
        "inicio",
        "portada",
        "accueil",
        "news",
        "nachrichten",
        "noticias",
        "actualités",
        "actualites",
        "notizie",
        "nieuws",
        "index",
        "main",
        "story",
        "stories",
        "article",
        "articles",
        "post",
        "posts",
        "content",
        "amp",
    )
)
_SPACES = re.compile(r"[ \t\u00a0]+")


def _codec(label: str | None) -> str | None:
    """A Python codec for an encoding label, or None when the label is unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(body: bytes, charset: str | None = None) -> str:
    """Decode page bytes: BOM, declared charset, `<meta>` charset, UTF-8, then detection."""
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return body.decode(bom_codec, errors="replace")
    meta = _META_CHARSET.search(body[:4096])
    declared = [_codec(charset), _codec(meta.group(1).decode("ascii") if meta else None)]
    for codec in [*declared, "utf-8"]:
        if codec is None:
            continue
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        return str(best)
    return body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class _Head:
    """What the page says about itself in its markup, read before extraction."""

    canonical: str | None
    lang: str | None
    title: str | None
    marked_article: bool = False  # og:type=article, a JSON-LD article, an <article>
    paywalled: bool = False  # isAccessibleForFree false, or paywall markup
    link_share: float = 0.0  # share of the body's text that is link text
    sections: tuple[str, ...] = ()  # the publisher's section labels, most trusted first


def _parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (lxml.etree.ParserError, ValueError):
        return None


def _head(tree: lxml.html.HtmlElement | None, final_url: str) -> _Head:
    if tree is None:
        return _Head(None, None, None)
    canonical = None
    for href in tree.xpath(
        "//link[@href][contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href"
    ):
        canonical = _absolute(str(href), final_url)
        if canonical:
            break
    lang = tree.get("lang") or tree.get("xml:lang")
    titles = tree.xpath("//title/text()")
    linked = _json_ld(tree)
    og_types = [str(v).strip().lower() for v in tree.xpath("//meta[@property='og:type']/@content")]
    marked = (
        "article" in og_types
        or any(_ARTICLE_TYPES.search(t) for item in linked for t in _types(item))
        or bool(tree.xpath("//article"))
    )
    return _Head(
        canonical,
        _language_code(lang),
        _clean(str(titles[0])) if titles else None,
        marked_article=marked,
        paywalled=_paywalled(tree, linked),
        link_share=_link_share(tree),
        sections=_sections(tree, linked, canonical or final_url),
    )


def _json_ld(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page (top level, in lists and in @graph)."""
    found: list[dict[str, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(str(script))
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                stack.extend(v for v in (item.get("@graph"),) if v)
    return found


def _types(item: dict[str, Any]) -> list[str]:
    value = item.get("@type", [])
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _paywalled(tree: lxml.html.HtmlElement, linked: list[dict[str, Any]]) -> bool:
    """The page says part of it is for subscribers only."""
    for item in linked:
        parts = item.get("hasPart")
        for part in [item, *(parts if isinstance(parts, list) else [parts])]:
            if isinstance(part, dict) and str(part.get("isAccessibleForFree", "")).lower() in (
                "false",
                "no",
            ):
                return True
    names = tree.xpath("//body//@class | //body//@id")
    return any(_PAYWALL_MARKUP.search(str(name)) for name in names)


def _link_share(tree: lxml.html.HtmlElement) -> float:
    """How much of the main text is link text: high on section fronts and menus."""
    roots = tree.xpath("//main") or tree.xpath("//body") or [tree]
    root = roots[0]
    total = len(root.text_content().split()) or 1
    linked = sum(len(a.text_content().split()) for a in root.iter("a"))
    return linked / total


def _sections(
    tree: lxml.html.HtmlElement, linked: list[dict[str, Any]], url: str
) -> tuple[str, ...]:
    """article:section, JSON-LD articleSection, breadcrumbs, the URL's first segment."""
    found: list[str] = [str(v) for v in tree.xpath("//meta[@property='article:section']/@content")]
    for item in linked:
        section = item.get("articleSection")
        found += [str(s) for s in section] if isinstance(section, list) else [str(section or "")]
    for item in linked:
        if "BreadcrumbList" in _types(item):
            crumbs = item.get("itemListElement") or []
            found += [_crumb_name(c) for c in crumbs if isinstance(c, dict)]
    crumb_xpath = (
        "//*[contains(translate(@class, 'BREADCRUMB', 'breadcrumb'), 'breadcrumb')"
        " or contains(translate(@aria-label, 'BREADCRUMB', 'breadcrumb'), 'breadcrumb')]//a"
    )
    found += [a.text_content() for a in tree.xpath(crumb_xpath)]
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if len(segments) > 1 and re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)*", segments[0]):
        found.append(segments[0].replace("-", " "))
    labels = (_clean(label) for label in found)
    unique = dict.fromkeys(x for x in labels if x and x.casefold() not in _GENERIC_CRUMBS)
    return tuple(unique)


def _crumb_name(crumb: dict[str, Any]) -> str:
    name = crumb.get("name")
    item = crumb.get("item")
    if not name and isinstance(item, dict):
        name = item.get("name")
    return str(name or "")


def _absolute(href: str, base: str) -> str | None:
    """`href` resolved against the page URL, if it is a usable http(s) link."""
    try:
        url = urljoin(base, href.strip())
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _language_code(value: str | None) -> str | None:
    """`en-GB` -> `en`; anything that is not a language tag -> None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _paragraphs(text: str) -> str:
    """One blank line between paragraphs, no blank or ragged lines inside."""
    lines = (_clean(line) for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def readability_text(html: str) -> tuple[str, str]:
    """(title, text) by readability-lxml: the fallback when trafilatura finds too little."""
    try:
        doc = Readability(html)
        summary = doc.summary(html_partial=True)
        title = _clean(doc.short_title() or "")
    except Exception:  # readability raises bare Exceptions on odd markup
        event(log, "readability_failed", logging.DEBUG, exc=True)
        return "", ""
    tree = _parse(f"<html><body>{summary}</body></html>")
    if tree is None:
        return title, ""
    blocks = [_clean(el.text_content()) for el in tree.iter(*_BLOCKS)]
    if not any(blocks):
        blocks = [_clean(tree.text_content())]
    return title, "\n\n".join(b for b in blocks if b)


def _trafilatura(html: str, url: str) -> dict[str, Any]:
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None:
        return {}
    return doc if isinstance(doc, dict) else dict(doc.as_dict())


class Extractor:
    """Turns a Page into an Article; the CPU work runs in a thread pool."""

    def __init__(self, config: ExtractConfig, executor: Executor | None = None) -> None:
        self.config = config
        self._own = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers=config.workers, thread_name_prefix="extract"
        )

    async def extract(self, page: Page) -> Article:
        """The article on `page`, or NotAnArticle; never blocks the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.extract_sync, page)

    def extract_sync(self, page: Page) -> Article:
        """The same work, on the calling thread (tests, the CLI, the thread pool)."""
        html = decode_html(page.body, page.charset)
        tree = _parse(html)
        head = _head(tree, page.final_url)
        meta = _trafilatura(html, page.final_url) if tree is not None else {}
        title = _clean(str(meta.get("title") or ""))
        text = _without_title(_paragraphs(str(meta.get("text") or "")), title or head.title)
        if word_count(text) < max(self.config.min_words, _PLAIN_WORDS):
            # readability when trafilatura finds little; on a brief it would add the
            # byline and boxes around it, so it must find more prose, not more words
            fallback_title, fallback = readability_text(html)
            if _prose_words(fallback) > _prose_words(text):
                title = title or fallback_title
                text = _without_title(fallback, title or head.title)
        words = word_count(text)
        self._judge(text, words, head)
        return Article(
            url=page.url,
            canonical_url=head.canonical or page.final_url,
            title=title or head.title or "",
            text=text,
            words=words,
            author=_optional(meta.get("author")),
            published_at=_optional(meta.get("date")),
            site=_optional(meta.get("sitename")),
            language=_language_code(meta.get("language")) or head.lang or detect_language(text),
            sections=head.sections,
        )

    def _judge(self, text: str, words: int, head: _Head) -> None:
        """Raise NotAnArticle, with its specific reason, unless `text` is an article."""
        least = self.config.min_words
        plain = max(least, _PLAIN_WORDS)
        if head.paywalled and words < plain:
            raise NotAnArticle(
                f"no article text found on that page: only a subscriber teaser is visible"
                f" ({words} words before the paywall)"
            )
        if words < least:
            raise NotAnArticle(
                f"no article text found on that page ({words} words; "
                f"an article needs at least {least})"
            )
        if words >= plain:
            return
        if head.link_share >= _LINK_SHARE and _prose_words(text) < least:
            raise NotAnArticle(
                "no article text found on that page: it is a list of links and headlines"
                " (a section front or a navigation page)"
            )
        if not head.marked_article:
            raise NotAnArticle(
                f"no article text found on that page ({words} words, and nothing marks it"
                f" as an article; a page without article markup needs at least {plain})"
            )
        if _prose_words(text) < least:
            raise NotAnArticle(
                f"no article text found on that page ({words} words, but fewer than {least}"
                " of them in sentences: a caption, a list or a teaser, not a story)"
            )

    def close(self) -> None:
        """Shut down the thread pool this extractor made (an injected one is left alone)."""
        if self._own:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        """`close`, under the name every part the core owns answers to."""
        self.close()


def _without_title(text: str, title: str | None) -> str:
    """The text without a first line that only repeats the title (the page's <h1>)."""
    first, _, rest = text.partition("\n\n")
    if title and rest and first.casefold() == title.casefold():
        return rest
    return text


def _prose_words(text: str) -> int:
    """Words in paragraphs that read as prose: long enough and ending a sentence."""
    total = 0
    for paragraph in text.split("\n\n"):
        count = word_count(paragraph)
        if count >= _PROSE_LINE_WORDS and re.search(r"[.!?…。！？\"”»)]$", paragraph.strip()):
            total += count
    return total


def _optional(value: object) -> str | None:
    text = _clean(str(value)) if value else ""
    return text or None
