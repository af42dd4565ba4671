"""One poll round over the feeds that are due: fetch, parse, pick new items, analyse.

The analysing step is injected (`analyse(url, feed) -> Analysis | None`), so the same
pipeline as for links can be plugged in, on the feed budget (`[polling] per_day`).
Each feed's poll is recorded in one transaction: its new state and every item taken.
When the day's budget runs out mid-feed, the items not yet analysed are not recorded
and the feed's validators are not updated, so the next poll sees them again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol

from bot.config import PollingConfig
from bot.errors import BudgetReached, PrismError
from bot.ingest.feeds.parse import FeedItem, ParsedFeed, parse_feed
from bot.ingest.feeds.policy import FeedState, Policy, freshness, retry_after_seconds
from bot.ingest.fetch import FeedResponse
from bot.logs import event
from bot.models import Analysis
from bot.store.contract import FeedsContract
from bot.store.feeds import Feed, SeenItem
from bot.stories.service import Stories

log = logging.getLogger("prism.feeds")

Analyse = Callable[[str, Feed], Awaitable[Analysis | None]]
SKIPPED_FIRST = "skipped: older than the first poll's newest items"
SKIPPED_MANY = "skipped: beyond max_items_per_poll"


class FeedFetcher(Protocol):
    """What polling needs of the SSRF-safe fetcher (bot.ingest.fetch.Fetcher)."""

    async def fetch_feed(self, url: str, etag: str = "", last_modified: str = "") -> FeedResponse:
        """One conditional GET of a feed."""
        ...


@dataclass
class PollReport:
    """What one round did; `feeds poll --json` prints it."""

    feeds: int = 0
    not_modified: int = 0
    new_items: int = 0
    analysed: int = 0
    joined_stories: int = 0
    failed: int = 0  # feeds whose poll failed
    items_failed: int = 0  # items whose link was refused or could not be analysed
    budget_reached: bool = False
    disabled: list[str] = field(default_factory=list)  # feeds disabled in this round

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return asdict(self)


class Poller:
    """Polls due feeds politely and hands new items to `analyse`."""

    def __init__(
        self,
        repo: FeedsContract,
        fetcher: FeedFetcher,
        config: PollingConfig,
        analyse: Analyse,
        *,
        stories: Stories | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        concurrency: int = 16,
        item_concurrency: int = 1,
    ) -> None:
        self.repo = repo
        self.fetcher = fetcher
        self.config = config
        self.analyse = analyse
        self.stories = stories
        self.clock = clock
        self.rng = rng or random.Random()
        self._slots = asyncio.Semaphore(concurrency)
        self.item_concurrency = item_concurrency  # items of one feed analysed at once
        self._budget = 0
        self._unchanged: list[tuple[int, FeedState]] = []  # 304s, written once per round

    def policy(self, feed: Feed) -> Policy:
        """The feed's own interval, or `[polling] every_min`."""
        every = feed.every_min or self.config.every_min
        return Policy(every, timedelta(days=self.config.disable_after_days))

    async def poll_due(self) -> PollReport:
        """Poll every feed whose time has come."""
        return await self.poll(await self.repo.due(self.clock()))

    async def poll(self, feeds: Sequence[Feed]) -> PollReport:
        """Poll these feeds now (due or not), concurrently, within the day's budget."""
        report = PollReport(feeds=len(feeds))
        now = self.clock()
        day = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
        self._budget = self.config.per_day - await self.repo.analysed_since(day)
        try:
            await asyncio.gather(*(self._guarded(feed, report) for feed in feeds))
        finally:
            unchanged, self._unchanged = self._unchanged, []
            await self.repo.save_states(unchanged)
        event(log, "feeds_polled", **{k: v for k, v in report.as_dict().items() if k != "disabled"})
        return report

    async def _guarded(self, feed: Feed, report: PollReport) -> None:
        async with self._slots:
            await self._poll_one(feed, report)

    async def _poll_one(self, feed: Feed, report: PollReport) -> None:
        """Poll one feed and record the outcome (a 304 at the end of the round)."""
        policy, state = self.policy(feed), feed.state
        try:
            response = await self.fetcher.fetch_feed(feed.url, state.etag, state.last_modified)
        except PrismError as exc:
            await self._failed(feed, policy, report, exc.message)
            return
        now = self.clock()
        if response.status == 410:
            await self._disable(feed, policy.disabled(state, now, "the feed is gone (410)"), report)
        elif response.status in (429, 503):
            wait = retry_after_seconds(response.retry_after, now)
            why = f"the feed asked to come back later ({response.status})"
            await self._failed(feed, policy, report, why, wait)
        elif response.status == 304:
            report.not_modified += 1
            self._unchanged.append((feed.id, self._ok(policy, state, response, None)))
        else:
            await self._fresh(feed, policy, response, report)

    def _ok(
        self, policy: Policy, state: FeedState, response: FeedResponse, ttl: int | None
    ) -> FeedState:
        now = self.clock()
        fresh = freshness(
            now,
            cache_control=response.cache_control,
            expires=response.expires,
            retry_after=response.retry_after,
            ttl_min=ttl,
        )
        return policy.succeeded(
            state, now, self.rng, fresh=fresh, etag=response.etag,
            last_modified=response.last_modified,
        )  # fmt: skip

    async def _failed(
        self,
        feed: Feed,
        policy: Policy,
        report: PollReport,
        error: str,
        retry_after_s: float | None = None,
    ) -> None:
        state = policy.failed(feed.state, self.clock(), self.rng, error, retry_after_s)
        if state.status == "disabled":
            await self._disable(feed, state, report)
            return
        report.failed += 1
        await self.repo.save_state(feed.id, state)
        event(log, "feed_failed", logging.WARNING, feed=feed.url, error=error)

    async def _disable(self, feed: Feed, state: FeedState, report: PollReport) -> None:
        report.failed += 1
        report.disabled.append(feed.url)
        await self.repo.save_state(feed.id, state)
        event(log, "feed_disabled", logging.WARNING, feed=feed.url, error=state.error)

    async def _fresh(
        self, feed: Feed, policy: Policy, response: FeedResponse, report: PollReport
    ) -> None:
        """A 200: parse off the loop, take the new items, analyse, record it all at once."""
        try:
            parsed = await asyncio.to_thread(
                parse_feed, response.body, response.content_type, self.clock()
            )
        except PrismError as exc:
            await self._failed(feed, policy, report, exc.message)
            return
        take, skip = await self._new_items(feed, parsed)
        report.new_items += len(take)
        seen, complete = await self._analyse_all(feed, take, report)
        state = self._ok(policy, feed.state, response, parsed.ttl_min)
        if not complete:  # budget spent: keep the old validators so the rest comes back
            state = _keep_validators(state, feed.state)
            skip = []
        await self.repo.record_poll(feed.id, state, [*seen, *skip], self.clock())

    async def _new_items(
        self, feed: Feed, parsed: ParsedFeed
    ) -> tuple[list[FeedItem], list[SeenItem]]:
        """Items unseen by GUID and by link, newest first; those over the limit skipped."""
        items = parsed.items
        guids, links = await self.repo.known(
            feed.id, (i.guid for i in items), (i.link for i in items)
        )
        fresh = [i for i in items if i.guid not in guids and i.link not in links]
        fresh = newest_first(fresh)
        first = feed.state.last_ok_at is None  # never read in full, even if it failed before
        limit = self.config.first_poll_items if first else self.config.max_items_per_poll
        why = SKIPPED_FIRST if first else SKIPPED_MANY
        skipped = [_seen(i, error=why) for i in fresh[limit:]]
        return fresh[:limit], skipped

    async def _analyse_all(
        self, feed: Feed, items: list[FeedItem], report: PollReport
    ) -> tuple[list[SeenItem], bool]:
        """Analyse items newest first while budget lasts, `item_concurrency` at a time
        (more than one lets a batching analyser send a round's items together);
        (items done in order, all of them done?)."""
        slots = asyncio.Semaphore(self.item_concurrency)

        async def one(item: FeedItem) -> SeenItem | None:
            async with slots:
                return await self._analyse_one(feed, item, report)

        outcomes = await asyncio.gather(*(one(item) for item in items))
        return [o for o in outcomes if o is not None], all(o is not None for o in outcomes)

    async def _analyse_one(self, feed: Feed, item: FeedItem, report: PollReport) -> SeenItem | None:
        """One item; None when the budget stopped it (it comes back next poll)."""
        if self._budget <= 0:
            report.budget_reached = True
            return None
        self._budget -= 1  # reserved before the await: feeds are polled concurrently
        try:
            analysis = await self.analyse(item.link, feed)
        except BudgetReached:
            self._budget += 1
            report.budget_reached = True
            return None
        except PrismError as exc:
            self._budget += 1
            report.items_failed += 1
            return _seen(item, error=f"{exc.kind}: {exc.message}")
        return await self._analysed(item, analysis, report)

    async def _analysed(
        self, item: FeedItem, analysis: Analysis | None, report: PollReport
    ) -> SeenItem:
        if analysis is None:
            self._budget += 1
            return _seen(item, error="not analysed")
        report.analysed += 1
        if self.stories is not None and await self.stories.file(analysis):
            report.joined_stories += 1
        return _seen(item, analysis_id=analysis.id)


def newest_first(items: Sequence[FeedItem]) -> list[FeedItem]:
    """Dated items by date, newest first; undated ones keep their feed order after them."""
    order = {id(item): n for n, item in enumerate(items)}
    floor = datetime.min.replace(tzinfo=UTC)
    return sorted(items, key=lambda i: (-(i.published or floor).timestamp(), order[id(i)]))


def _seen(item: FeedItem, *, analysis_id: int | None = None, error: str = "") -> SeenItem:
    return SeenItem(item.guid, item.link, item.title, item.published, analysis_id, error)


def _keep_validators(state: FeedState, old: FeedState) -> FeedState:
    """An unfinished poll: the old validators (and a new feed's first-poll limit) stay."""
    if old.last_ok_at is None:
        state = replace(state, status="new", last_ok_at=None)
    return replace(state, etag=old.etag, last_modified=old.last_modified)
