"""The local article web site that tests and benchmarks fetch from (127.0.0.1, port 0).

Serves every page in tests/fixtures/pages/ (bytes as they are, charset from the
manifest) plus routes that misbehave on purpose: errors, a PDF, a PNG, a 50 MB body,
a gzip bomb, a trickle, a redirect loop, an open redirect and a slow page. Every
request is counted in `site.hits` (by path) and logged in `site.log` (path + query),
so tests can prove how many fetches really happened.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import io
import tomllib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

PAGES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "pages"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HUGE_BYTES = 50 * 1024 * 1024
BOMB_BYTES = 64 * 1024 * 1024  # decompressed size of /bomb; about 64 KB on the wire

EMPTY_HTML = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nothing here</title></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav><main></main>
<footer>&copy; Example</footer></body></html>
"""

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

_SENTENCES = (
    "The regional council approved a new budget for public transport on Tuesday evening.",
    "Officials said the plan adds forty electric buses and extends night service to the "
    "harbour district by next spring.",
    "Commuter groups welcomed the decision but warned that fares could still rise in "
    "the autumn if fuel subsidies end as scheduled.",
    "The finance committee estimated the total cost at 112 million euros over five years, "
    "shared between the city and the national government.",
    "Opposition members argued that the money would be better spent repairing existing "
    "tram lines, several of which have been closed for maintenance since January.",
    "A spokesperson for the transport authority said the first buses would arrive in "
    "March and that drivers were already being trained.",
)


def article_html(title: str = "Council approves transport budget", repeat: int = 3) -> bytes:
    """A plain, well-formed article page of a few hundred words (for routes and tests)."""
    paragraphs = "\n".join(f"<p>{' '.join(_SENTENCES)}</p>" for _ in range(repeat))
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body><article><h1>{title}</h1>\n"
        f"{paragraphs}\n</article></body></html>\n"
    ).encode()


@functools.cache
def _gzip_bomb() -> bytes:
    """An HTML prefix and then tens of megabytes of spaces, gzip-compressed once per run."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as stream:
        stream.write(b"<!doctype html><html><head><title>bomb</title></head><body>")
        chunk = b" " * (1024 * 1024)
        for _ in range(BOMB_BYTES // len(chunk)):
            stream.write(chunk)
    return buffer.getvalue()


def _read_manifest(pages_dir: Path) -> dict[str, dict[str, Any]]:
    """Page name -> its manifest entry; tolerant of `[name]`, `[pages.name]`, `[[pages]]`."""
    path = pages_dir / "manifest.toml"
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = data.get("pages", data.get("page", data))
    found: dict[str, dict[str, Any]] = {}
    items = entries.items() if isinstance(entries, dict) else enumerate(entries)
    for key, entry in items:
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("file") or entry.get("name") or entry.get("path") or key)
        found[name.removesuffix(".html")] = entry
    return found


class Site:
    """A running local web site: `.base`, `.url(path)`, `.hits`, `.log`, `.add(...)`."""

    def __init__(self, pages_dir: Path = PAGES_DIR) -> None:
        self.pages_dir = pages_dir
        self.manifest = _read_manifest(pages_dir)
        self.hits: Counter[str] = Counter()
        self.log: list[str] = []
        self.base = ""
        self._routes: dict[str, Handler] = {
            "/404": _status(404),
            "/500": _status(500),
            "/doc.pdf": _fixed(PDF_BYTES, "application/pdf"),
            "/image.png": _fixed(PNG_BYTES, "image/png"),
            "/empty.html": _fixed(EMPTY_HTML, "text/html; charset=utf-8"),
            "/huge": _huge,
            "/bomb": _bomb,
            "/trickle": _trickle,
            "/loop": _redirect_to("/loop-b"),
            "/loop-b": _redirect_to("/loop"),
            "/redirect": _redirect_query,
            "/slow": _slow,
        }
        self._runner: web.AppRunner | None = None

    # --- routes ---------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL of a path on this site (`site.url("/a.html")`)."""
        return self.base + (path if path.startswith("/") else "/" + path)

    def add(self, path: str, handler: Handler) -> str:
        """Serve `path` with an aiohttp handler (works while running); returns its URL."""
        self._routes[path] = handler
        return self.url(path)

    def add_page(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve fixed bytes at `path` (content_type None sends no Content-Type)."""
        data = body.encode() if isinstance(body, str) else body
        self._routes[path] = _fixed(data, content_type, status=status, headers=headers)
        return self.url(path)

    def page_names(self) -> list[str]:
        """Names of the fixture pages (`<name>.html` in the pages directory)."""
        if not self.pages_dir.is_dir():
            return []
        return sorted(p.stem for p in self.pages_dir.glob("*.html"))

    def page_url(self, name: str) -> str:
        return self.url(f"/{name}.html")

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> Site:
        app = web.Application(middlewares=[self._count])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        tcp = web.TCPSite(self._runner, "127.0.0.1", 0)
        await tcp.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.log.append(request.path_qs)
        return await handler(request)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        route = self._routes.get(request.path)
        if route is not None:
            return await route(request)
        if request.path.startswith("/slow/"):
            return await _slow(request, self._page_bytes(request.path.removeprefix("/slow/")))
        page = self._page_response(request.path)
        if page is not None:
            return page
        return web.Response(status=404, text="not found")

    def _page_bytes(self, name: str) -> bytes | None:
        stem = name.removesuffix(".html")
        path = self.pages_dir / f"{stem}.html"
        if stem and "/" not in stem and path.is_file():
            return path.read_bytes()
        return None

    def _page_response(self, path: str) -> web.Response | None:
        if not path.endswith(".html"):
            return None
        body = self._page_bytes(path.lstrip("/"))
        if body is None:
            return None
        entry = self.manifest.get(path.lstrip("/").removesuffix(".html"), {})
        charset = entry.get("charset")
        content_type = f"text/html; charset={charset}" if charset else "text/html"
        return web.Response(body=body, headers={"Content-Type": content_type})


# --- the misbehaving routes -------------------------------------------------------------


def _status(code: int) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=code, text=f"status {code}", content_type="text/html")

    return handler


def _fixed(
    body: bytes,
    content_type: str | None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        cls = web.Response if content_type is not None else _Untyped
        return cls(body=body, status=status, headers=all_headers)

    return handler


class _Untyped(web.Response):
    """A response with no Content-Type at all (aiohttp adds one by default): for sniffing."""

    async def _write_headers(self) -> None:
        self._headers.popall("Content-Type", None)
        await super()._write_headers()


def _redirect_to(location: str, status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    return handler


async def _redirect_query(request: web.Request) -> web.Response:
    """/redirect?to=URL[&status=301]: an open redirect, as real sites have."""
    status = int(request.query.get("status", "302"))
    return web.Response(status=status, headers={"Location": request.query.get("to", "/")})


async def _stream(
    request: web.Request, chunks: AsyncIterator[bytes], **headers: str
) -> web.StreamResponse:
    """Stream chunks until done or until the client hangs up (which is the point)."""
    response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8", **headers})
    await response.prepare(request)
    try:
        async for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
    except (ConnectionError, asyncio.CancelledError):
        pass  # the fetcher gave up: exactly what the test wants
    return response


async def _huge(request: web.Request) -> web.StreamResponse:
    """50 MB of HTML, chunked; `?declare=1` also sends the Content-Length up front."""

    async def chunks() -> AsyncIterator[bytes]:
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        for _ in range(HUGE_BYTES // len(chunk)):
            yield chunk

    if request.query.get("declare"):
        return await _stream(request, chunks(), **{"Content-Length": str(HUGE_BYTES)})
    return await _stream(request, chunks())


async def _bomb(request: web.Request) -> web.Response:
    body = await asyncio.to_thread(_gzip_bomb)
    return web.Response(
        body=body,
        headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
    )


async def _trickle(request: web.Request) -> web.StreamResponse:
    """One byte every `ms` milliseconds (default 1000), for at most 120 bytes."""
    delay = int(request.query.get("ms", "1000")) / 1000

    async def chunks() -> AsyncIterator[bytes]:
        for byte in b"<!doctype html><html><body>" + b"." * 93:
            yield bytes([byte])
            await asyncio.sleep(delay)

    return await _stream(request, chunks())


async def _slow(request: web.Request, body: bytes | None = None) -> web.Response:
    """An article page after `?ms=N` milliseconds (default 100): for single-flight tests."""
    await asyncio.sleep(int(request.query.get("ms", "100")) / 1000)
    if body is None:
        body = article_html(f"Slow page {request.path}")
    return web.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8"})


async def start_site(pages_dir: Path = PAGES_DIR) -> Site:
    """Start the site outside pytest (bench scripts); `await site.close()` when done."""
    return await Site(pages_dir).start()


@pytest.fixture
async def article_site() -> AsyncIterator[Site]:
    """The local article site, fresh hit counters for each test."""
    site = await start_site()
    try:
        yield site
    finally:
        await site.close()
