"""Rendered pages kept briefly in memory, served with ETag, Last-Modified and gzip."""

from __future__ import annotations

import gzip
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from aiohttp import web

GZIP_MIN_BYTES = 512


@dataclass(frozen=True, slots=True)
class Rendered:
    """One page's bytes (plain and gzipped) with its validators."""

    body: bytes
    gzipped: bytes | None
    etag: str
    last_modified: str | None
    content_type: str
    path: str = ""  # the canonical path of the page, where it matters (analyses)


def rendered(
    text: str, content_type: str, modified: datetime | None = None, path: str = ""
) -> Rendered:
    """Encode a page once: its ETag and its gzip copy are computed here, not per request."""
    body = text.encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:20]
    gzipped = gzip.compress(body, 9, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    last = format_datetime(modified, usegmt=True) if modified is not None else None
    # Weak: the gzip and plain bodies are the same page, so they share one validator.
    return Rendered(body, gzipped, f'W/"{digest}"', last, content_type, path)


def respond(request: web.Request, page: Rendered, status: int = 200) -> web.Response:
    """The page, or 304 when the client holds it; gzip when the client accepts it."""
    headers = {"ETag": page.etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if page.last_modified:
        headers["Last-Modified"] = page.last_modified
    if status == 200 and _matches(request.headers.get("If-None-Match", ""), page.etag):
        return web.Response(status=304, headers=headers)
    body = page.body
    if page.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = page.gzipped
        headers["Content-Encoding"] = "gzip"
    headers["Content-Type"] = page.content_type
    return web.Response(status=status, body=body, headers=headers)


def _matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes do not matter."""
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag.removeprefix("W/") in tags or "*" in tags


class PageCache:
    """Recently rendered pages by path, for `ttl_s`; bounded, so memory stays flat."""

    def __init__(
        self, ttl_s: float = 10.0, size: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._clock = clock
        self._pages: OrderedDict[str, tuple[float, Rendered]] = OrderedDict()

    def get(self, key: str) -> Rendered | None:
        """A fresh cached page, or None."""
        entry = self._pages.get(key)
        if entry is None or entry[0] < self._clock():
            return None
        self._pages.move_to_end(key)
        return entry[1]

    def put(self, key: str, page: Rendered) -> None:
        """Keep a page until its time is up or room is needed."""
        self._pages[key] = (self._clock() + self.ttl_s, page)
        self._pages.move_to_end(key)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)

    def drop_analysis(self, analysis_id: int) -> None:
        """Forget an analysis's page (its Thoughts changed)."""
        self._pages.pop(f"a:{analysis_id}", None)
