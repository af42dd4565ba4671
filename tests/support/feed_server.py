"""A local feed server for tests and benchmarks (127.0.0.1, port 0).

Serves RSS 2.0, Atom 1.0 and JSON Feed documents built from item lists, answers
conditional GETs (ETag / If-None-Match, Last-Modified / If-Modified-Since) with 304,
and hosts the hostile feeds of the feeds issue: malformed XML, an HTML page, XXE,
"billion laughs", a 60 MB stream, redirects, 410, 429 with Retry-After, and a feed that
mints new GUIDs on every request. Every request is counted in `hits` and its
conditional headers kept in `conditional`, so tests can prove what was asked.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HUGE_FEED_BYTES = 60 * 1024 * 1024
LAST_MODIFIED = "Mon, 30 Nov 2026 12:00:00 GMT"

XXE_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>XXE</title>
<item><title>&xxe;</title><link>http://example.com/x</link></item></channel></rss>
"""
LAUGHS_FEED = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title>'
    b"<item><title>&lol9;</title><link>http://example.com/l</link></item></channel></rss>\n"
)
MALFORMED_FEED = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Broken</title>
<item><title>Unclosed <b>tag</title><link>http://example.com/b</link></item>
</channel>
"""
HTML_PAGE = b"""<!doctype html><html><head><title>Not a feed</title></head>
<body><p>Welcome to our home page.</p></body></html>
"""


@dataclass(frozen=True)
class Item:
    """One feed entry; `published` None leaves the date out, a str is written as is."""

    title: str
    link: str | None
    guid: str | None = None
    published: datetime | str | None = None
    summary: str = ""


def _rfc822(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return format_datetime(value.astimezone(UTC), usegmt=True)


def rss(items: Sequence[Item], title: str = "Local news", ttl: int | None = None) -> bytes:
    """An RSS 2.0 document."""
    parts = [f"<title>{escape(title)}</title><link>http://example.com/</link>"]
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for item in items:
        fields = [f"<title>{escape(item.title)}</title>"]
        if item.link is not None:
            fields.append(f"<link>{escape(item.link)}</link>")
        if item.guid is not None:
            fields.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        date = _rfc822(item.published)
        if date is not None:
            fields.append(f"<pubDate>{escape(date)}</pubDate>")
        if item.summary:
            fields.append(f"<description>{escape(item.summary)}</description>")
        parts.append(f"<item>{''.join(fields)}</item>")
    body = "".join(parts)
    head = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">'
    return f"{head}<channel>{body}</channel></rss>\n".encode()


def atom(items: Sequence[Item], title: str = "Local news") -> bytes:
    """An Atom 1.0 document."""
    entries = []
    for item in items:
        fields = [f"<title>{escape(item.title)}</title>"]
        if item.link is not None:
            fields.append(
                f'<link rel="alternate" href="{escape(item.link, {chr(34): "&quot;"})}"/>'
            )
        fields.append(f"<id>{escape(item.guid or item.link or item.title)}</id>")
        when = item.published
        if isinstance(when, datetime):
            fields.append(f"<updated>{when.astimezone(UTC).isoformat()}</updated>")
        if item.summary:
            fields.append(f"<summary>{escape(item.summary)}</summary>")
        entries.append(f"<entry>{''.join(fields)}</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:local:feed</id>"
        f"<updated>2026-11-30T12:00:00Z</updated>{''.join(entries)}</feed>\n"
    ).encode()


def json_feed(items: Sequence[Item], title: str = "Local news") -> bytes:
    """A JSON Feed 1.1 document."""
    out: list[dict[str, Any]] = []
    for item in items:
        entry: dict[str, Any] = {"id": item.guid or item.link or item.title, "title": item.title}
        if item.link is not None:
            entry["url"] = item.link
        if isinstance(item.published, datetime):
            entry["date_published"] = item.published.astimezone(UTC).isoformat()
        elif isinstance(item.published, str):
            entry["date_published"] = item.published
        if item.summary:
            entry["summary"] = item.summary
        out.append(entry)
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": out}
    return json.dumps(doc).encode()


class FeedServer:
    """A running feed server: `.url(path)`, `.hits`, `.conditional`, `.serve…(…)`."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.conditional: list[tuple[str, str, str]] = []  # path, If-None-Match, If-Modified-Since
        self.base = ""
        self._routes: dict[str, Handler] = {}
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base + (path if path.startswith("/") else "/" + path)

    def add(self, path: str, handler: Handler) -> str:
        """Serve `path` with an aiohttp handler; returns its URL."""
        self._routes[path] = handler
        return self.url(path)

    def serve(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/rss+xml; charset=utf-8",
        *,
        conditional: bool = True,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve a fixed document; with `conditional`, a matching validator gets 304."""
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

        async def handler(request: web.Request) -> web.Response:
            extra = dict(headers or {})
            if conditional:
                extra.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
                if _not_modified(request, etag):
                    return web.Response(status=304, headers=extra)
            return web.Response(body=body, headers={"Content-Type": content_type, **extra})

        return self.add(path, handler)

    def serve_status(self, path: str, status: int, headers: dict[str, str] | None = None) -> str:
        """Answer every request with `status` (410, 429, 503 …) and these headers."""

        async def handler(request: web.Request) -> web.Response:
            return web.Response(status=status, text=f"status {status}", headers=headers or {})

        return self.add(path, handler)

    def serve_redirect(self, path: str, location: str) -> str:
        """A 302 to `location` (which may be a private address)."""

        async def handler(request: web.Request) -> web.Response:
            return web.Response(status=302, headers={"Location": location})

        return self.add(path, handler)

    def serve_rotating(self, path: str, links: Sequence[str]) -> str:
        """The same links on every request, each under a GUID never used before."""
        count = 0

        async def handler(request: web.Request) -> web.Response:
            nonlocal count
            count += 1
            items = [
                Item(f"Story {n}", link, guid=f"urn:{count}:{n}") for n, link in enumerate(links)
            ]
            return web.Response(body=rss(items), content_type="application/rss+xml")

        return self.add(path, handler)

    def serve_huge(self, path: str) -> str:
        """A 60 MB RSS document, streamed in chunks (never held in memory)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            await response.prepare(request)
            item = b"<item><title>x</title><link>http://example.com/x</link></item>" * 1000
            try:
                await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
                for _ in range(HUGE_FEED_BYTES // len(item) + 1):
                    await response.write(item)
                await response.write(b"</channel></rss>")
                await response.write_eof()
            except (ConnectionError, asyncio.CancelledError):
                pass  # the fetcher hung up at its cap: the point of the test
            return response

        return self.add(path, handler)

    async def start(self) -> FeedServer:
        """Listen on 127.0.0.1, a free port."""
        app = web.Application(middlewares=[self._count])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.conditional.append(
            (
                request.path,
                request.headers.get("If-None-Match", ""),
                request.headers.get("If-Modified-Since", ""),
            )
        )
        return await handler(request)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        route = self._routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        return await route(request)


def _not_modified(request: web.Request, etag: str) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return etag in {part.strip() for part in match.split(",")}
    return request.headers.get("If-Modified-Since") == LAST_MODIFIED


def article_page(title: str, text: str, published: str = "") -> bytes:
    """A small article page for the local article site (its own words, its own date)."""
    meta = (
        f'<meta property="article:published_time" content="{escape(published)}">'
        if published
        else ""
    )
    paragraphs = "".join(f"<p>{escape(s.strip())}.</p>" for s in text.split(". ") if s.strip())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"{meta}</head><body><article><h1>{escape(title)}</h1>{paragraphs}</article></body></html>"
    ).encode()
