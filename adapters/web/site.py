"""The site's routes: pages rendered from Core's typed queries, nothing else."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import resources
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader

from adapters.web import views
from adapters.web.responses import PageCache, Rendered, rendered, respond
from adapters.web.security import FormSigner, RateLimiter, add_headers
from bot import i18n
from bot.config import Config
from bot.core import Core
from bot.errors import BadArguments, NotFound
from bot.languages import check_language
from bot.logs import event
from bot.models import Analysis
from bot.permalinks import page_path

log = logging.getLogger("prism.web")

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
READER_COOKIE = "prism_reader"
LIST_SIZE = 30
FEED_SIZE = 30
SITEMAP_SIZE = 5000
QUERY_MAX = 200  # characters of a search query that reach the index
_ANALYSIS_REF = re.compile(r"^(\d{1,18})(?:-(.*))?$")
_READER = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Site:
    """Routes, templates and the per-process state they share (cache, limiter, signer)."""

    def __init__(self, config: Config, core: Core) -> None:
        self.config = config
        self.core = core
        self.base = config.web.public_url()
        self.templates = Environment(
            loader=PackageLoader("adapters.web", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.signer = FormSigner(config.web.secret)
        self.limiter = RateLimiter(config.web.posts_per_minute)
        self.cache = PageCache()
        css = (resources.files("adapters.web") / "static" / "site.css").read_text("utf-8")
        self.css = rendered(css, "text/css; charset=utf-8")

    def app(self) -> web.Application:
        """The aiohttp application: every route, listed here."""
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024)
        app.router.add_get("/", self.home)
        app.router.add_get("/a/{ref}", self.analysis)
        app.router.add_post("/a/{ref}/thoughts", self.react)
        app.router.add_get("/c/{category}", self.category)
        app.router.add_get("/c/{category}/feed.atom", self.category_feed)
        app.router.add_get("/search", self.search)
        app.router.add_get("/feed.atom", self.feed)
        app.router.add_get("/sitemap.xml", self.sitemap)
        app.router.add_get("/robots.txt", self.robots)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/static/site.css", self.stylesheet)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Unknown routes get the 404 page; failures a 500 page; every answer the headers."""
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = self.error(request, 404, "Page not found", "There is no page here.")
        except web.HTTPMethodNotAllowed:
            response = self.error(request, 405, "Method not allowed", "This page is read-only.")
        except Exception:
            event(log, "web_error", logging.ERROR, exc=True, path=request.path)
            response = self.error(request, 500, "Something went wrong", "Try again later.")
        return add_headers(response)

    # --- pages ----------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.StreamResponse:
        """The latest analyses and the categories."""
        page = self.cache.get("home")
        if page is None:
            latest = await self.core.recent(LIST_SIZE)
            counts = await self.core.category_counts()
            page = self._list_page("Latest analyses", latest, "/", categories=list(counts.items()))
            self.cache.put("home", page)
        return respond(request, page)

    async def category(self, request: web.Request) -> web.StreamResponse:
        """One category's latest analyses; its name matched case-insensitively."""
        name = self.config.category(request.match_info["category"])
        if name is None:
            return self._unknown_category(request)
        key = f"c:{name}"
        page = self.cache.get(key)
        if page is None:
            latest = await self.core.recent(LIST_SIZE, name)
            slug = name.lower()
            page = self._list_page(name, latest, f"/c/{slug}", feed=f"/c/{slug}/feed.atom")
            self.cache.put(key, page)
        return respond(request, page)

    async def search(self, request: web.Request) -> web.StreamResponse:
        """Full-text search; whatever the query holds, it is words to look for."""
        query = request.query.get("q", "")[:QUERY_MAX]
        found = await self.core.search(query, LIST_SIZE) if query.strip() else []
        heading = f"Search: {query}" if query.strip() else "Search"
        empty = "Nothing matches that search." if query.strip() else "Type words to search for."
        text = self.templates.get_template("list.html").render(
            **self._common(None, query=query, noindex=True), title=heading, heading=heading,
            analyses=[views.card(a, self.base) for a in found], empty=empty,
        )  # fmt: skip
        return respond(request, rendered(text, HTML))

    async def analysis(self, request: web.Request) -> web.StreamResponse:
        """One analysis; a wrong slug is sent to the right one (301)."""
        match = _ANALYSIS_REF.match(request.match_info["ref"])
        if match is None:
            return self._no_analysis(request)
        ident, slug = int(match.group(1)), match.group(2)
        if "lang" in request.query:
            return await self._variant(request, ident, request.query["lang"])
        page = self.cache.get(f"a:{ident}")
        if page is None:
            try:
                found = await self.core.analysis(str(ident))
            except NotFound:
                return self._no_analysis(request)
            page = await self._analysis_page(found)
            self.cache.put(f"a:{ident}", page)
        if slug is not None and request.path != page.path:
            return web.Response(status=301, headers={"Location": page.path})
        response = respond(request, page)
        if not _READER.match(request.cookies.get(READER_COOKIE, "")):
            response.set_cookie(
                READER_COOKIE, secrets.token_urlsafe(18), max_age=365 * 86400,
                httponly=True, samesite="Lax", path="/",
            )  # fmt: skip
        return response

    async def _variant(self, request: web.Request, ident: int, code: str) -> web.Response:
        """`/a/12?lang=de`: the German variant's own page (302), or why there is none."""
        try:
            language = check_language(code[:16])
            found = await self.core.analysis(str(ident))
        except NotFound:
            return self._no_analysis(request)
        except BadArguments as exc:
            return self.error(request, 400, "Unknown language", exc.message)
        variant = await self.core.variant(found, language)
        if variant.language != language:
            name = i18n.language_name(language)
            message = f"This analysis has no {name} ({language}) version yet."
            return self.error(request, 404, "Not in that language", message)
        return web.Response(
            status=302, headers={"Location": page_path(variant.id, variant.headline)}
        )

    async def _analysis_page(self, analysis: Analysis) -> Rendered:
        thoughts = await self.core.thoughts(analysis.id)
        language = analysis.language or "en"
        hits = await self.core.related_to(analysis, self.config.related.limit, language)
        story = await self.core.story(analysis)
        path = page_path(analysis.id, analysis.headline)
        others = await self._other_variants(analysis)
        text = self.templates.get_template("analysis.html").render(
            **self._common(self.base + path, lang=language, dir=i18n.direction(language)),
            title=analysis.headline, a=views.page(analysis), thoughts=thoughts,
            related=[views.related_link(h) for h in hits],
            also=views.other_sources(story.others) if story else [],
            token=self.signer.token(analysis.id), variants=others,
        )  # fmt: skip
        return rendered(text, HTML, analysis.created_at, path)

    async def _other_variants(self, analysis: Analysis) -> list[views.VariantLink]:
        """The article's other languages, each linking to its own page."""
        out = []
        for code in await self.core.variants(analysis):
            if code != analysis.language:
                other = await self.core.variant(analysis, code)
                out.append(views.variant_link(other, self.base))
        return out

    async def react(self, request: web.Request) -> web.StreamResponse:
        """A reader's reaction from the page's form: limited, signed, then stored."""
        if not self.limiter.allow(request.remote or "unknown"):
            return self.error(
                request, 429, "Too many reactions", "Wait a minute before reacting again."
            )
        match = _ANALYSIS_REF.match(request.match_info["ref"])
        if match is None or match.group(2) is not None:
            return self._no_analysis(request)
        ident = int(match.group(1))
        form = await request.post()
        token, kind = str(form.get("token", "")), str(form.get("kind", ""))
        reader = request.cookies.get(READER_COOKIE, "")
        if not self.signer.valid(ident, token):
            return self.error(request, 403, "Form expired", "Reload the page and react again.")
        if not _READER.match(reader):
            return self.error(
                request, 403, "No reader cookie", "Open the page first, then react from it."
            )
        try:
            await self.core.react(ident, f"web:{reader}", kind)
        except NotFound:
            return self._no_analysis(request)
        except BadArguments as exc:
            return self.error(request, 400, "Unknown reaction", exc.message)
        self.cache.drop_analysis(ident)
        return web.Response(status=303, headers={"Location": f"/a/{ident}#thoughts"})

    # --- feeds and machine-readable pages -------------------------------------------------

    async def feed(self, request: web.Request) -> web.StreamResponse:
        """The latest analyses as Atom 1.0."""
        page = self.cache.get("feed")
        if page is None:
            latest = await self.core.recent(FEED_SIZE)
            page = self._atom("prism-bot: latest analyses", "/", "/feed.atom", latest)
            self.cache.put("feed", page)
        return respond(request, page)

    async def category_feed(self, request: web.Request) -> web.StreamResponse:
        """One category's latest analyses as Atom 1.0."""
        name = self.config.category(request.match_info["category"])
        if name is None:
            return self._unknown_category(request)
        key = f"feed:{name}"
        page = self.cache.get(key)
        if page is None:
            latest = await self.core.recent(FEED_SIZE, name)
            slug = name.lower()
            page = self._atom(f"prism-bot: {name}", f"/c/{slug}", f"/c/{slug}/feed.atom", latest)
            self.cache.put(key, page)
        return respond(request, page)

    async def sitemap(self, request: web.Request) -> web.StreamResponse:
        """Every category page and analysis page, for search engines."""
        latest = await self.core.recent(SITEMAP_SIZE)
        text = self.templates.get_template("sitemap.xml").render(
            base=self.base, categories=self.config.categories.names,
            analyses=[views.card(a, self.base) for a in latest],
        )  # fmt: skip
        return respond(request, rendered(text, XML))

    async def robots(self, request: web.Request) -> web.StreamResponse:
        """Crawlers may read pages, not search results."""
        text = f"User-agent: *\nDisallow: /search\n\nSitemap: {self.base}/sitemap.xml\n"
        return respond(request, rendered(text, TEXT))

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        """200 when the store answers a query."""
        try:
            await self.core.category_counts()
        except Exception as exc:
            event(log, "healthz_failed", logging.WARNING, error=type(exc).__name__)
            return web.Response(status=503, text="store unavailable\n")
        return web.Response(text="ok\n", headers={"Cache-Control": "no-store"})

    async def stylesheet(self, request: web.Request) -> web.StreamResponse:
        """The one stylesheet."""
        return respond(request, self.css)

    # --- helpers --------------------------------------------------------------------------

    def error(self, request: web.Request, status: int, heading: str, message: str) -> web.Response:
        """A real error page with a real status."""
        text = self.templates.get_template("error.html").render(
            **self._common(None, noindex=True), title=heading, heading=heading, message=message
        )
        return add_headers(respond(request, rendered(text, HTML), status=status))

    def _no_analysis(self, request: web.Request) -> web.Response:
        return self.error(request, 404, "Analysis not found", "No analysis has this address.")

    def _unknown_category(self, request: web.Request) -> web.Response:
        names = ", ".join(self.config.categories.names)
        return self.error(request, 404, "Unknown category", f"The categories are: {names}.")

    def _common(self, canonical: str | None, **extra: Any) -> dict[str, Any]:
        common = {
            "base": self.base,
            "canonical": canonical,
            "lang": "en",
            "dir": "ltr",
            "query": "",
        }
        return {**common, "noindex": False, **extra}

    def _list_page(
        self,
        heading: str,
        analyses: list[Analysis],
        path: str,
        categories: list[tuple[str, int]] | None = None,
        feed: str | None = None,
    ) -> Rendered:
        text = self.templates.get_template("list.html").render(
            **self._common(self.base + path), title=heading, heading=heading,
            analyses=[views.card(a, self.base) for a in analyses], categories=categories,
            feed=self.base + feed if feed else None, empty="No analyses here yet.",
        )  # fmt: skip
        return rendered(text, HTML, _newest(analyses))

    def _atom(self, title: str, html_path: str, self_path: str, items: list[Analysis]) -> Rendered:
        newest = _newest(items)
        text = self.templates.get_template("feed.atom").render(
            title=title, self_url=self.base + self_path, html_url=self.base + html_path,
            updated=views.iso(newest) if newest else "1970-01-01T00:00:00Z",
            analyses=[views.card(a, self.base) for a in items],
        )  # fmt: skip
        return rendered(text, ATOM, newest)


def _newest(analyses: list[Analysis]) -> datetime | None:
    return max((a.created_at for a in analyses), default=None)
