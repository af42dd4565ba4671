"""Feeds as the operator and the poller role see them: sync, list, add, remove, poll.

One FeedService per core, so one Stories index per process (loaded at `start()`).
Feed items go through the same resolver as links, paid by the `feeds` budget
(`[polling] per_day`, inside `[limits] global_per_day`); the analyser's own labelled
fallback (`[analyzer] fallback`) answers when Claude cannot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from bot.config import Config
from bot.errors import BadArguments, NotFound
from bot.ingest.budgets import Budget
from bot.ingest.feeds.poller import FeedFetcher, Poller, PollReport
from bot.logs import event
from bot.models import Analysis, Source
from bot.store.contract import FeedsContract
from bot.store.feeds import Feed
from bot.stories.service import Stories

log = logging.getLogger("prism.feeds")

FEED_PAYER = "feeds"  # the usage rows' user for every feed analysis
BATCH_ITEMS = 8  # with [anthropic] batch: items of one feed queued for a batch at once
Resolve = Callable[[str, Budget], Awaitable[Analysis]]
Load = Callable[[list[int]], Awaitable[dict[int, Analysis]]]  # analyses by id


@dataclass(frozen=True, slots=True)
class Story:
    """The other outlets that covered an analysis's event (the analysed article first)."""

    id: int
    sources: tuple[Source, ...]

    @property
    def others(self) -> tuple[Source, ...]:
        """Every source but the analysed article: who else covered it."""
        return self.sources[1:]


class FeedService:
    """The feeds of one store: the operator's actions and the poller's rounds."""

    def __init__(
        self,
        repo: FeedsContract,
        fetcher: FeedFetcher,
        config: Config,
        resolve: Resolve,
        clock: Callable[[], datetime],
    ) -> None:
        self.repo = repo
        self.config = config
        self.clock = clock
        self._resolve = resolve
        self.stories = Stories(repo, clock)
        together = BATCH_ITEMS if config.anthropic.batch else 1  # one batch per round
        self.poller = Poller(
            repo, fetcher, config.polling, self._analyse, stories=self.stories, clock=clock,
            item_concurrency=together,
        )  # fmt: skip
        self._started = False
        self._round = asyncio.Lock()  # one poll round at a time in this process

    async def start(self) -> None:
        """Sync `[[feeds]]` into the store and load the story index (once)."""
        if self._started:
            return
        await self.sync_config()
        loaded = await self.stories.load()
        self._started = True
        event(log, "feeds_started", feeds=len(await self.repo.all()), story_members=loaded)

    async def sync_config(self) -> None:
        """Config feeds stored (origin `config`); one gone from the file stops being polled.
        Feeds added by the CLI are left alone."""
        now = self.clock()
        wanted = {f.url: f for f in self.config.feeds}
        for f in wanted.values():
            await self.repo.add(
                f.url, now, name=f.name, category=self.config.category(f.category) or f.category,
                language=f.language, every_min=f.every_min, origin="config",
            )  # fmt: skip
        for stored in await self.repo.all():
            if stored.origin == "config" and stored.url not in wanted:
                await self.repo.remove(stored.url)

    async def has_feeds(self) -> bool:
        """Whether anything is there to poll."""
        return bool(self.config.feeds) or bool(await self.repo.all())

    async def list(self) -> list[Feed]:
        """Every stored feed, oldest first."""
        await self.start()
        return await self.repo.all()

    async def add(self, url: str, category: str = "", every_min: int | None = None) -> Feed:
        """A feed the operator adds (validated); an existing one gets these settings."""
        url = checked_url(url)
        if every_min is not None and every_min < 1:
            raise BadArguments(f"--every must be at least 1 minute, not {every_min}")
        known = ""
        if category:
            known = self.config.category(category) or ""
            if not known:
                names = ", ".join(self.config.categories.names)
                raise BadArguments(f"unknown category {category!r} (one of: {names})")
        await self.start()
        return await self.repo.add(
            url, self.clock(), category=known, every_min=every_min or 0, origin="cli"
        )

    async def remove(self, url: str) -> Feed:
        """Forget a feed (its analyses stay); NotFound when unknown."""
        feed = await self.repo.get(url.strip())
        if feed is None:
            raise NotFound(f"there is no feed {url.strip()!r} (prism-bot feeds list shows them)")
        await self.repo.remove(feed.url)
        return feed

    async def poll(self, url: str | None = None) -> PollReport:
        """Poll now: one feed (even disabled), or every feed not disabled."""
        await self.start()
        if url is not None:
            feed = await self.repo.get(url.strip())
            if feed is None:
                raise NotFound(
                    f"there is no feed {url.strip()!r} (prism-bot feeds list shows them)"
                )
            feeds: Sequence[Feed] = [feed]
        else:
            feeds = [f for f in await self.repo.all() if f.state.status != "disabled"]
        async with self._round:
            return await self.poller.poll(feeds)

    async def poll_due(self) -> PollReport:
        """One round over the feeds whose time has come (the poller role)."""
        await self.start()
        async with self._round:
            return await self.poller.poll_due()

    async def story(self, analysis: Analysis, load: Load) -> Story | None:
        """The story `analysis` belongs to with its sources, or None when it is alone."""
        found = await self.repo.story_of(analysis.id)
        if found is None or len(found[1]) < 2:
            return None
        story_id, members = found
        rest = [m for m in members if m != analysis.id]
        by_id = await load(rest)
        sources = [analysis.source, *(by_id[m].source for m in rest if m in by_id)]
        return Story(story_id, tuple(sources))

    async def _analyse(self, url: str, feed: Feed) -> Analysis | None:
        budget = Budget.feed(FEED_PAYER, self.config.polling.per_day)
        return await self._resolve(url, budget)


def checked_url(url: str) -> str:
    """A feed URL as given, if it is an absolute http(s) URL; else a usage error."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadArguments(f"a feed URL must be an http or https link, not {url!r}")
    return url
