"""Feed documents (RSS 0.9x/1.0/2.0, Atom 1.0, JSON Feed 1.x) to plain items.

Feed XML comes from strangers, so no entity is ever expanded: a document declaring an
entity or carrying an internal DTD subset is refused before any parser sees it (this
stops external entities, XXE, and entity expansion, "billion laughs"); a bare DOCTYPE
with only a public identifier, as RSS 0.91 feeds have, is read, and feedparser never
loads external DTDs. The body reaches feedparser as a stream, never as a string it
might take for a URL or a file name. JSON Feed is plain JSON, validated here.

Dates: an unreadable date, or one before 1990, is dropped (None); a date more than a
day in the future is clamped to the time of parsing.
"""

from __future__ import annotations

import calendar
import html
import io
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from bot.errors import NotALink, PrismError
from bot.ingest.links import canonicalize

MAX_SUMMARY = 500
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.I)
_HTML_START = re.compile(rb"\s*(?:<!doctype\s+html|<html|<head|<body)", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")


class BadFeed(PrismError):
    """The document is not a feed the bot will read: the message says why."""

    kind = "bad-feed"


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry, normalised: `link` is canonical, `guid` falls back to it."""

    guid: str
    link: str
    title: str
    published: datetime | None
    summary: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed's title, its `<ttl>` in minutes (if any), and usable items in feed order."""

    title: str
    ttl_min: int | None
    items: tuple[FeedItem, ...]
    skipped: int  # entries without a usable link, or repeating a GUID


def parse_feed(body: bytes, content_type: str, now: datetime) -> ParsedFeed:
    """The feed in `body`; BadFeed with a specific reason when it cannot be read safely."""
    mime = content_type.split(";", 1)[0].strip().lower()
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if mime in ("application/feed+json", "application/json") or head.startswith((b"{", b"[")):
        return parse_json_feed(body, now)
    refuse_entities(body)
    return _parse_xml(body, mime, now)


def refuse_entities(body: bytes) -> None:
    """BadFeed if the XML declares entities or an internal DTD subset (XXE, expansion)."""
    flat = body.replace(b"\x00", b"")  # UTF-16/32 spellings of the same markup
    if _ENTITY_DECL.search(flat) or _DOCTYPE_SUBSET.search(flat):
        raise BadFeed("the feed declares XML entities (refused: entities are never expanded)")


def _parse_xml(body: bytes, mime: str, now: datetime) -> ParsedFeed:
    headers = {"content-type": mime or "application/xml"}
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, resolve_relative_uris=False,
        sanitize_html=False,
    )  # fmt: skip
    if not parsed.get("version"):
        if _HTML_START.match(body[:1024]):
            raise BadFeed("that is an HTML page, not a news feed")
        raise BadFeed("that is not a news feed (no RSS, Atom or JSON Feed found)")
    if parsed.get("bozo") and _is_xml_error(parsed.get("bozo_exception")):
        line = getattr(parsed["bozo_exception"], "getLineNumber", lambda: None)()
        where = f" (line {line})" if line else ""
        raise BadFeed(f"the feed is not well-formed XML{where}")
    feed = parsed.get("feed", {})
    raw = [_xml_item(entry, now) for entry in parsed.get("entries", [])]
    return _finish(_text(feed.get("title", "")), _ttl(feed.get("ttl")), raw)


def _is_xml_error(exc: Any) -> bool:
    """feedparser's loose fallback hides broken XML; a SAX error means refuse it."""
    return exc is not None and type(exc).__name__ in ("SAXParseException", "SAXException")


def _xml_item(entry: Any, now: datetime) -> tuple[str, str, str, datetime | None, str]:
    link = str(entry.get("link") or "")
    guid = str(entry.get("id") or "")
    # dict.get: feedparser's own get() warns when it maps one date key onto the other
    struct = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    published = _from_struct(struct, now) if struct else None
    summary = _text(entry.get("summary", ""))
    return guid, link, _text(entry.get("title", "")), published, summary


def _from_struct(struct: time.struct_time, now: datetime) -> datetime | None:
    try:
        return clamp_date(datetime.fromtimestamp(calendar.timegm(struct), UTC), now)
    except (OverflowError, ValueError, OSError):
        return None


def clamp_date(value: datetime, now: datetime) -> datetime | None:
    """None for dates before 1990; `now` for dates more than a day ahead; else the date."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value < _EARLIEST:
        return None
    return now if value > now + _FUTURE_SLACK else value


def _ttl(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= 7 * 24 * 60 else None


def _text(value: Any) -> str:
    """Markup removed, entities decoded, whitespace collapsed: plain text for display."""
    plain = html.unescape(_TAG.sub(" ", str(value or "")))
    return _SPACE.sub(" ", plain).strip()


def _finish(
    title: str, ttl: int | None, raw: list[tuple[str, str, str, datetime | None, str]]
) -> ParsedFeed:
    """Canonical links, GUID fallback, repeats and link-less entries dropped and counted."""
    items: list[FeedItem] = []
    guids: set[str] = set()
    links: set[str] = set()
    for guid, link, item_title, published, summary in raw:
        canonical = _canonical(link)
        key = guid.strip()[:500] or canonical
        if not canonical or key in guids or canonical in links:
            continue
        guids.add(key)
        links.add(canonical)
        items.append(FeedItem(key, canonical, item_title[:300], published, summary[:MAX_SUMMARY]))
    return ParsedFeed(title[:200], ttl, tuple(items), len(raw) - len(items))


def _canonical(link: str) -> str:
    try:
        return canonicalize(link.strip()) if link.strip() else ""
    except NotALink:
        return ""


# --- JSON Feed -----------------------------------------------------------------------------


def parse_json_feed(body: bytes, now: datetime) -> ParsedFeed:
    """A JSON Feed 1.0/1.1 document, checked field by field (it is plain JSON)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadFeed("the feed is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadFeed("the JSON feed is not an object")
    version = data.get("version")
    if not isinstance(version, str) or version.rstrip("/") not in JSON_FEED_VERSIONS:
        raise BadFeed("that is JSON, but not a JSON Feed (version 1 or 1.1)")
    entries = data.get("items")
    if not isinstance(entries, list):
        raise BadFeed("the JSON feed has no items list")
    raw = [_json_item(entry, now) for entry in entries if isinstance(entry, dict)]
    skipped = len(entries) - len(raw)
    parsed = _finish(_text(_str(data.get("title"))), None, raw)
    return ParsedFeed(parsed.title, None, parsed.items, parsed.skipped + skipped)


def _json_item(entry: dict[str, Any], now: datetime) -> tuple[str, str, str, datetime | None, str]:
    ident = entry.get("id")
    guid = str(ident) if isinstance(ident, str | int) and not isinstance(ident, bool) else ""
    link = _str(entry.get("url")) or _str(entry.get("external_url"))
    summary = _str(entry.get("summary")) or _str(entry.get("content_text"))
    published = _iso_date(_str(entry.get("date_published")), now)
    return guid, link, _text(_str(entry.get("title"))), published, _text(summary)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _iso_date(text: str, now: datetime) -> datetime | None:
    if not text:
        return None
    try:
        return clamp_date(datetime.fromisoformat(text.replace("Z", "+00:00")), now)
    except ValueError:
        return None
