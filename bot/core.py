"""The façade that adapters, the CLI and the scheduler call: handle(request) -> replies.

It knows no platform: requests come in as bot.models.Request, answers go out as the
neutral Reply documents that each adapter renders.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from types import TracebackType

from bot import i18n
from bot.analyzers.batching import batched
from bot.commands import ALIASES, BY_NAME, IN_HELP
from bot.config import Config
from bot.digests.service import DeliveryReport, DigestService
from bot.digests.subscriptions import SubscriptionService
from bot.errors import BadArguments, Forbidden, NotALink, NotFound, PrismError
from bot.ingest import links
from bot.ingest.budgets import Budget
from bot.ingest.feeds.poller import FeedFetcher, PollReport
from bot.ingest.feeds.service import FEED_PAYER, FeedService, Story
from bot.ingest.resolver import Resolution, Resolver
from bot.ingest.seeds import SeedReport, import_seeds
from bot.languages import check_language, check_languages, prefer_language
from bot.logs import event
from bot.models import (
    THOUGHT_KINDS,
    Analysis,
    ChannelRef,
    Item,
    Reply,
    Request,
    Thoughts,
)
from bot.permalinks import page_url
from bot.ports import Analyzer, Embedder, Extractor, Fetcher, Sender
from bot.related import RelatedHit, RelatedIndex
from bot.replies import analysis_reply, error_reply, info, item_for, outlet
from bot.store import StoreContract, Totals, open_store, utcnow
from bot.store.feeds import Feed

log = logging.getLogger("prism.core")
FEED_REQUEST = Request("feed", "", ChannelRef("feeds", "poller"), FEED_PAYER)
# How long handled update ids are remembered: Telegram retries a webhook delivery for
# minutes, not hours, so an hour covers every retry with room to spare.
UPDATE_MEMORY_S = 3600.0

Handler = Callable[["Core", Request], Awaitable[list[Reply]]]

LANGUAGE_TTL_S = 30.0  # how long a channel's /language is remembered in this process
MAX_REMEMBERED_CHANNELS = 10_000
_CHANNEL = "channel"  # resolve(): the language is the requesting channel's


class Core:
    """The one door: `handle(request)` for chat, typed queries for everything else.

    Core owns what it is given or builds (store, fetcher, extractor, analyser) and
    closes them on `aclose()` (or leaving `async with`), the store last.
    """

    def __init__(
        self,
        config: Config,
        store: StoreContract,
        resolver: Resolver,
        clock: Callable[[], datetime] = utcnow,
        related: RelatedIndex | None = None,
        owned: AsyncExitStack | None = None,
        feed_fetcher: FeedFetcher | None = None,
    ) -> None:
        if owned is None:
            owned = AsyncExitStack()
            owned.push_async_callback(store.aclose)
        self._owned = owned
        self.config = config
        self.store = store
        self.resolver = resolver
        self.clock = clock
        self.related = related or RelatedIndex(store, config)
        self.subscriptions = SubscriptionService(store, config, clock)
        self.digests = DigestService(store, config, clock)
        self._languages: dict[str, tuple[float, str | None]] = {}  # channel -> (expiry, code)
        self._feeds = (
            FeedService(store.feeds, feed_fetcher, config, self._resolve_feed_item, clock)
            if feed_fetcher is not None
            else None
        )

    @classmethod
    async def open(
        cls,
        config: Config,
        *,
        analyzer: Analyzer | None = None,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
        clock: Callable[[], datetime] = utcnow,
        embedder: Embedder | None = None,
    ) -> Core:
        """Open the store and build the pipeline from config; injected parts win.

        Whatever fails here (a missing API key, say) closes what was opened already,
        the store included, so the process can exit.
        """
        owned = AsyncExitStack()
        store = await open_store(config)
        owned.push_async_callback(store.aclose)
        try:
            return await cls._build(
                config, store, owned, analyzer, fetcher, extractor, clock, embedder
            )
        except BaseException:
            await owned.aclose()
            raise

    @classmethod
    async def _build(
        cls,
        config: Config,
        store: StoreContract,
        owned: AsyncExitStack,
        analyzer: Analyzer | None,
        fetcher: Fetcher | None,
        extractor: Extractor | None,
        clock: Callable[[], datetime],
        embedder: Embedder | None,
    ) -> Core:
        """The parts, each registered to be closed (in reverse) as soon as it exists."""
        from bot.analyzers import build_analyzer
        from bot.ingest.extract import Extractor as HtmlExtractor
        from bot.ingest.fetch import Fetcher as SafeFetcher

        fetcher = fetcher or SafeFetcher(config.fetch)
        owned.push_async_callback(fetcher.aclose)
        extractor = extractor or HtmlExtractor(config.extract)
        owned.push_async_callback(extractor.aclose)
        analyzer = analyzer or build_analyzer(config)
        owned.push_async_callback(analyzer.aclose)
        related = RelatedIndex(store, config, embedder)
        resolver = Resolver(
            store, fetcher, extractor, analyzer, config, clock, on_new=related.remember
        )
        feed_fetcher: FeedFetcher
        if isinstance(fetcher, SafeFetcher):
            feed_fetcher = fetcher
        else:  # an injected page fetcher (tests): feeds still go through the safe one
            feed_fetcher = safe = SafeFetcher(config.fetch)
            owned.push_async_callback(safe.aclose)
        owned.push_async_callback(resolver.aclose)  # first to close: in-flight work stops
        return cls(config, store, resolver, clock, related, owned, feed_fetcher)

    async def aclose(self) -> None:
        """Close every part this core owns, in reverse order of building: the store last."""
        await self._owned.aclose()

    async def __aenter__(self) -> Core:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def handle(self, request: Request) -> list[Reply]:
        """Answer one request; every failure becomes a short, specific error reply."""
        started = time.perf_counter()
        name = ALIASES.get(request.command, request.command)
        try:
            if name not in HANDLERS:
                raise BadArguments(f"unknown command /{name}; /help lists the commands")
            replies = await HANDLERS[name](self, request)
        except PrismError as exc:
            replies = [error_reply(exc)]
        except Exception:
            event(log, "unhandled_error", logging.ERROR, exc=True, command=name)
            replies = [error_reply(PrismError("something went wrong on our side; try again"))]
        event(
            log,
            "request",
            command=name,
            channel=str(request.channel),
            user=request.user,
            replies=len(replies),
            errors=",".join(r.error for r in replies if r.error) or "-",
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return replies

    # --- the pieces handlers share ------------------------------------------------------

    async def resolve(
        self,
        url: str,
        request: Request,
        refresh: bool = False,
        budget: Budget | None = None,
        language: str | None = _CHANNEL,
    ) -> Resolution:
        """The analysis of `url` for `request`, in `language` (by default the channel's;
        None: any stored variant):
        stored, or generated within `budget` (by default the requester's, as a chat user)."""
        wanted = await self.language_for(request) if language is _CHANNEL else language
        resolution = await self.resolver.resolve(
            url,
            user=request.user,
            channel=str(request.channel),
            refresh=refresh,
            budget=budget,
            language=wanted,
        )
        self.store.usage.record_request(
            resolution.analysis.id,
            request.user,
            str(request.channel),
            "cached" if resolution.cached else "generated",
        )
        return resolution

    async def analysis(self, ref: str) -> Analysis:
        """An analysis by id (`12`, `#12`, `a_12`) or by any URL that led to it."""
        ref = ref.strip()
        ident = ref.removeprefix("#").removeprefix("a_")
        if ident.isdigit():
            found = await self.store.analyses.by_id(int(ident))
            if found is None:
                raise NotFound(f"there is no analysis #{ident}")
            return found
        found = await self.store.analyses.by_url(links.canonicalize(ref))
        if found is None:
            raise NotFound("that link has not been analysed yet")
        return found

    async def source(self, ref: str, request: Request, budget: Budget | None = None) -> Analysis:
        """What `/related` and `prism-bot related` start from: a link (analysed first if
        new, within `budget`), or an id or stored URL."""
        found = links.find_links(ref)
        if found:
            return (await self.resolve(found[0], request, budget=budget)).analysis
        return await self.analysis(ref)

    async def related_to(
        self, source: Analysis, limit: int | None = None, language: str | None = None
    ) -> list[RelatedHit]:
        """Analyses related to `source`, best first, each with its reason: other
        articles only, each in `language` when that variant is stored."""
        if limit is not None and limit < 1:
            raise BadArguments(f"--limit must be a whole number of 1 or more, not {limit}")
        hits = await self.related.find(source, limit, now=self.clock())
        out: list[RelatedHit] = []
        seen = {source.article_id}
        for hit in hits:
            if hit.analysis.article_id in seen:
                continue
            seen.add(hit.analysis.article_id)
            variant = await self.variant(hit.analysis, language)
            out.append(dataclasses.replace(hit, analysis=variant))
        return out

    # --- languages ----------------------------------------------------------------------

    @property
    def translates(self) -> bool:
        """Whether the analyser can write a language other than the article's."""
        return self.resolver.pipeline.analyzer.translates

    async def language_for(self, request: Request) -> str | None:
        """The language a channel reads: its /language, else the platform's hint (a
        Telegram user's, a Discord guild's), else `[analyzer] language`; None under
        `auto` (each analysis in its article's language)."""
        chosen = await self._channel_language(str(request.channel))
        if chosen:
            return chosen
        if request.language and i18n.written(request.language):
            return i18n.base_language(request.language)
        default = self.config.analyzer.language
        return None if default == "auto" else i18n.base_language(default)

    async def _channel_language(self, channel: str) -> str | None:
        """The stored /language, remembered for LANGUAGE_TTL_S: the cache-hit path asks
        for it on every request (another process's change shows within the TTL)."""
        now = time.monotonic()
        held = self._languages.get(channel)
        if held is not None and held[0] > now:
            return held[1]
        found = await self.store.channels.language(channel)
        if len(self._languages) >= MAX_REMEMBERED_CHANNELS:
            self._languages.clear()
        self._languages[channel] = (now + LANGUAGE_TTL_S, found)
        return found

    async def set_language(self, channel: ChannelRef, code: str) -> str:
        """Store a channel's language after checking the code; returns the base code."""
        language = check_language(code)
        await self.store.channels.set_language(str(channel), language, self.clock())
        self._languages.pop(str(channel), None)
        return language

    async def variants(self, analysis: Analysis) -> tuple[str, ...]:
        """The languages `analysis`'s article is stored in (`variants` in JSON)."""
        return await self.store.analyses.variants(analysis.article_id)

    async def variant(self, analysis: Analysis, language: str | None) -> Analysis:
        """`analysis` in `language` when that variant is stored, else as it is."""
        if not language or analysis.language == language:
            return analysis
        found = await self.store.analyses.by_url(analysis.canonical_url, language)
        return found or analysis

    async def resolve_languages(
        self,
        url: str,
        request: Request,
        languages: str,
        refresh: bool = False,
        budget: Budget | None = None,
    ) -> list[Resolution]:
        """`url` in each of `languages` (`de,fr`): at most MAX_LANGUAGES_AT_ONCE, one
        after another, each a generation within the requester's budget."""
        codes = check_languages(languages)
        return [await self.resolve(url, request, refresh, budget=budget, language=c) for c in codes]

    # --- typed queries: all that the CLI, adapters, scheduler and web site ask of the core

    async def recent(
        self, limit: int = 20, category: str | None = None, language: str | None = None
    ) -> list[Analysis]:
        """The newest analyses, optionally of one category: one per article, in
        `language` where that variant is stored."""
        found = await self.store.analyses.recent(limit, category)
        return prefer_language(found, language)

    async def category_counts(self) -> dict[str, int]:
        """Every configured category, in order, with how many analyses it holds."""
        stored = await self.store.analyses.category_counts()
        return {name: stored.get(name, 0) for name in self.config.categories.names}

    async def search(self, text: str, limit: int = 20) -> list[Analysis]:
        """Analyses whose text holds every word of `text`, best first."""
        return await self.store.analyses.search(text, limit)

    async def forget(self, ref: str) -> Analysis:
        """Remove an analysis and its article (takedown requests); returns what went."""
        analysis = await self.analysis(ref)
        if not await self.store.analyses.forget(analysis.id):
            raise NotFound(f"there is no analysis #{analysis.id}")
        return analysis

    async def import_seeds(
        self, folder: Path | str | None = None, *, skip_other_categories: bool = False
    ) -> SeedReport:
        """Load sample analyses (the shipped ones by default) not stored yet; a seed whose
        category is not configured is refused (or left out with `skip_other_categories`)."""
        report = await import_seeds(
            self.store,
            folder,
            self.config.categories.names,
            skip_other_categories=skip_other_categories,
        )
        await self.related.backfill()  # embeddings for the new seeds, when enabled
        return report

    async def seed_if_empty(self) -> SeedReport | None:
        """A new user's first run has content to look at."""
        if await self.store.analyses.count():
            return None
        # a first run with its own categories gets the seeds that fit them
        return await self.import_seeds(skip_other_categories=True)

    async def digest_preview(
        self, channel: ChannelRef | None = None, category: str | None = None
    ) -> Reply | None:
        """What a channel's (or a category's) digest would hold now, without sending."""
        return await self.digests.preview(channel=channel, category=category)

    async def send_due_digests(self, senders: Mapping[str, Sender]) -> DeliveryReport:
        """Deliver every digest that is due now, through the given senders."""
        return await self.digests.send_due(senders)

    async def first_update(self, bot: str, update_id: int) -> bool:
        """Whether this process is the first to take this incoming update: webhook
        processes behind one load balancer answer a retried update once."""
        return await self.store.updates.first(bot, update_id, time.time(), UPDATE_MEMORY_S)

    async def stats(self) -> Totals:
        """Analyses, requests, deliveries and model usage so far."""
        return await self.store.usage.totals()

    # --- news feeds (DESIGN.md "Feeds") ----------------------------------------------

    @property
    def feed_service(self) -> FeedService:
        """The feeds of this core's store (only cores built by `Core.open` poll)."""
        if self._feeds is None:
            raise PrismError("this core was built without a feed fetcher")
        return self._feeds

    async def feeds(self) -> list[Feed]:
        """Every stored feed with its polling state (config feeds synced first)."""
        return await self.feed_service.list()

    async def add_feed(self, url: str, category: str = "", every_min: int | None = None) -> Feed:
        """Add (or update) a feed for the operator: http(s) URL, known category, every ≥ 1."""
        return await self.feed_service.add(url, category, every_min)

    async def remove_feed(self, url: str) -> Feed:
        """Stop polling a feed and forget its items (its analyses stay)."""
        return await self.feed_service.remove(url)

    async def poll_feeds(self, url: str | None = None) -> PollReport:
        """Poll one feed or every feed now, on the feed budget."""
        return await self.feed_service.poll(url)

    async def poll_due_feeds(self) -> PollReport:
        """One round over the feeds that are due (the `feeds` role's tick)."""
        return await self.feed_service.poll_due()

    async def start_feeds(self) -> None:
        """Sync `[[feeds]]` into the store and load the story index (once per core)."""
        await self.feed_service.start()

    async def has_feeds(self) -> bool:
        """Whether config or store holds any feed."""
        return await self.feed_service.has_feeds()

    async def story(self, analysis: Analysis) -> Story | None:
        """The story an analysis is part of, with every outlet's source; None when alone."""
        if self._feeds is None:
            return None
        return await self._feeds.story(analysis, self.store.analyses.many)

    async def _resolve_feed_item(self, url: str, budget: Budget) -> Analysis:
        """A feed item: on the feed budget, batched when `[anthropic] batch` is on."""
        with batched():
            return (await self.resolve(url, FEED_REQUEST, budget=budget)).analysis

    # --- the web site and readers' Thoughts -------------------------------------------

    def page_url(self, analysis: Analysis) -> str | None:
        """The analysis's web page when `[web] base_url` is set, for links in messages."""
        base = self.config.web.base_url
        return page_url(base, analysis.id, analysis.headline) if base else None

    async def thoughts(self, analysis_id: int) -> Thoughts:
        """Readers' reaction counts for one analysis."""
        return await self.store.thoughts.counts(analysis_id)

    async def react(self, analysis_id: int, reader: str, kind: str) -> Thoughts:
        """Record (or change) one reader's reaction; returns the new counts."""
        if kind not in THOUGHT_KINDS:
            raise BadArguments(f"unknown reaction {kind!r} (one of: {', '.join(THOUGHT_KINDS)})")
        if not reader.strip():
            raise BadArguments("a reaction needs a reader")
        if await self.store.analyses.by_id(analysis_id) is None:
            raise NotFound(f"there is no analysis #{analysis_id}")
        return await self.store.thoughts.react(analysis_id, reader, kind)

    async def review(self, threshold: int | None = None) -> list[tuple[Analysis, Thoughts]]:
        """Analyses readers flagged `inaccurate` at least `[thoughts] review_after` times."""
        limit = threshold or self.config.thoughts.review_after
        flagged = await self.store.thoughts.flagged(limit)
        found = await self.store.analyses.many([ident for ident, _ in flagged])
        return [(found[i], t) for i, t in flagged if i in found]


# --- command handlers -------------------------------------------------------------------


async def _start(core: Core, request: Request) -> list[Reply]:
    payload = request.text.strip()
    if payload.startswith("a_"):
        return await _show(core, request)
    return [
        info(
            "prism-bot",
            "Send me a link to a news article and I answer with a structured analysis: "
            "headline, lead, the key points and what they mean.",
            "Channels can subscribe to categories and get a daily digest. "
            "Type /help for every command.",
        )
    ]


async def _help(core: Core, request: Request) -> list[Reply]:
    items = [Item(title=c.usage, text=c.summary) for c in IN_HELP]
    return [info("Commands", items=items)]


async def _analyze(core: Core, request: Request) -> list[Reply]:
    found = links.find_links(request.text)
    if not found:
        if not request.text.strip():
            raise BadArguments("usage: /analyze <link to a news article>")
        raise NotALink("that is not a link: send a link to a news article (http or https)")
    return await _analyze_links(core, request, found)


async def _analyze_links(core: Core, request: Request, found: list[str]) -> list[Reply]:
    """One reply per link, up to the configured number; the rest are named, not lost."""
    limit = core.config.chat.max_links
    if len(found) == 1:  # the common case: no tasks to schedule
        return [await _one(core, found[0], request)]
    # several links: each error names its link, so it is not read as another's
    answers = (_one(core, url, request, named=True) for url in found[:limit])
    replies = list(await asyncio.gather(*answers))
    if len(found) > limit:
        rest = found[limit:]
        replies.append(
            info(
                "Some links were not analysed",
                f"I analyse up to {limit} links per message. Send these again separately:",
                items=[Item(title=url) for url in rest],
            )
        )
    return replies


async def _one(core: Core, url: str, request: Request, named: bool = False) -> Reply:
    """One link of a message: its failure is its own (`named`: it says which link) and
    does not lose the others."""
    try:
        wanted = await core.language_for(request)
        resolution = await core.resolve(url, request, language=wanted)
    except PrismError as exc:
        return error_reply(exc, about=url if named else None)
    return await _analysis_reply(core, resolution.analysis, wanted)


async def _message(core: Core, request: Request) -> list[Reply]:
    found = links.find_links(request.text)
    if found:
        return await _analyze_links(core, request, found)
    if request.is_private:
        return [
            info(
                "Send me a link",
                "Paste a link to a news article and I will analyse it. /help lists commands.",
            )
        ]
    return []  # groups: ordinary chatter is none of our business


async def _show(core: Core, request: Request) -> list[Reply]:
    wanted = await core.language_for(request)
    return [await _analysis_reply(core, await core.analysis(request.text), wanted)]


async def _analysis_reply(core: Core, analysis: Analysis, wanted: str | None = None) -> Reply:
    """An analysis with its page link, Thoughts buttons and its story's other outlets, as
    configured; a note in the reader's language when it could not be written in it."""
    web_url = core.page_url(analysis)
    story = await core.story(analysis)
    also = [outlet(s) for s in story.others] if story else []
    return analysis_reply(
        analysis,
        web_url=web_url,
        thoughts=core.config.thoughts.buttons,
        wanted=wanted,
        also_covered_by=also,
    )


async def _thought(core: Core, request: Request) -> list[Reply]:
    """A reader's reaction from a chat button: `useful 12` or `inaccurate 12`."""
    kind, _, ident = request.text.strip().partition(" ")
    if not ident.strip().isdigit():
        raise BadArguments("usage: /thought <useful|inaccurate> <analysis id>")
    reader = f"{request.channel.platform}:{request.user}"
    counts = await core.react(int(ident), reader, kind)
    return [
        info(
            "Thanks for your thoughts",
            f"Noted: {kind}. Readers so far: {counts.useful} useful · "
            f"{counts.inaccurate} inaccurate.",
            ephemeral=True,
        )
    ]


async def _related(core: Core, request: Request) -> list[Reply]:
    query = request.text.strip()
    if query:
        source = await core.source(query, request)
    elif request.reply_to is not None:
        source = await core.analysis(str(request.reply_to))
    else:
        raise BadArguments("usage: /related <link or analysis id>, or reply to an analysis")
    hits = await core.related_to(source, language=await core.language_for(request))
    if not hits:
        return [
            info(
                "Nothing related yet",
                f"No stored analysis is close to “{source.headline}”. "
                "Try /categories to browse what is here.",
            )
        ]
    items = [item_for(h.analysis, meta=_related_meta(h)) for h in hits]
    return [
        Reply(
            kind="related",
            title=f"Related to: {source.headline}",
            blocks=tuple(items),
            analysis_id=source.id,
            category=source.category,
        )
    ]


def _related_meta(hit: RelatedHit) -> str:
    a = hit.analysis
    return f"{a.category} · {a.reading_minutes} min read · {hit.reason}"


async def _categories(core: Core, request: Request) -> list[Reply]:
    counts = await core.category_counts()
    items = [Item(title=name, meta=_count(n, "analysis", "analyses")) for name, n in counts.items()]
    return [info("Categories", "Subscribe a channel with /subscribe <category>.", items=items)]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _admin_only(
    action: Callable[[Core, Request], Awaitable[Reply]],
) -> Handler:
    """Settings commands: only an admin of the channel may change them."""

    async def handler(core: Core, request: Request) -> list[Reply]:
        if not request.is_admin:
            raise Forbidden(
                "only an admin of this chat can change its subscriptions "
                "(Telegram: administrator; Discord: Manage Channels)"
            )
        return [await action(core, request)]

    return handler


async def _language(core: Core, request: Request) -> list[Reply]:
    """`/language` shows the channel's language; `/language CODE` (admins) sets it."""
    code = request.text.strip()
    if not code:
        current = await core.language_for(request)
        if current is None:
            return [
                info(
                    "Language",
                    "Analyses here are in each article's own language. An admin can "
                    "choose one with /language <code>, e.g. /language de.",
                )
            ]
        name = i18n.language_name(current)
        return [info("Language", f"Analyses here are written in {name} ({current}).")]
    if not request.is_admin:
        raise Forbidden(
            "only an admin of this chat can change its language "
            "(Telegram: administrator; Discord: Manage Channels)"
        )
    language = await core.set_language(request.channel, code)
    lines = [f"Analyses here are now written in {i18n.language_name(language)} ({language})."]
    if not core.translates:
        lines.append(i18n.text(language, "untranslated", language=i18n.language_name(None)))
    return [info("Language set", *lines)]


async def _subscriptions(core: Core, request: Request) -> list[Reply]:
    return [await core.subscriptions.list(request)]


async def _digest(core: Core, request: Request) -> list[Reply]:
    preview = await core.digests.preview(channel=request.channel)
    if preview is None:
        return [info("Nothing new", "This channel's next digest has nothing in it yet.")]
    return [preview]


HANDLERS: dict[str, Handler] = {
    "start": _start,
    "help": _help,
    "analyze": _analyze,
    "message": _message,
    "show": _show,
    "related": _related,
    "categories": _categories,
    "subscribe": _admin_only(lambda core, r: core.subscriptions.subscribe(r)),
    "unsubscribe": _admin_only(lambda core, r: core.subscriptions.unsubscribe(r)),
    "subscriptions": _subscriptions,
    "digest": _digest,
    "thought": _thought,
    "language": _language,
}
assert set(HANDLERS) - {"message"} == set(BY_NAME), "every command has one handler"
