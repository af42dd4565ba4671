"""Digest content and delivery: what each subscription is owed, sent once through the ledger.

`send_due` is the one delivery path (the scheduler's tick and `prism-bot digest
--send` both call it). The ledger, not anyone's memory, decides what is due: a
period is owed when its local delivery time has passed, the subscription was
active by then, and no final ledger row exists for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.config import Config
from bot.digests.pacing import Pacer, pacer_for
from bot.digests.subscriptions import category_error, check_zone, in_order, latest_due
from bot.errors import ChannelGone, ChannelMoved, NotFound, SendFailed
from bot.logs import event
from bot.models import Analysis, ChannelRef, Group, Item, Reply, Subscription
from bot.permalinks import page_url
from bot.ports import Sender
from bot.replies import item_for
from bot.store import Store
from bot.store.subscriptions import Claim, Delivery, Scheduled

log = logging.getLogger("prism.digest")

FIRST_WINDOW = timedelta(hours=24)  # a first digest covers the last day
FOOTER = (
    "Analyses are generated automatically from their sources: check a source before relying on it."
)


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)  # channel refs
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # fell due too long ago
    empty: list[str] = field(default_factory=list)  # nothing new, nothing sent
    deactivated: list[str] = field(default_factory=list)  # gone: subscription stopped
    moved: list[str] = field(default_factory=list)  # "old -> new"
    interrupted: list[str] = field(default_factory=list)  # left pending by stop()

    def to_dict(self) -> dict[str, list[str]]:
        return asdict(self)


@dataclass
class _Job:
    delivery: Delivery
    subscription: Subscription
    sender: Sender


class DigestService:
    """Builds digests and delivers the due ones, paced per platform, once each."""

    def __init__(
        self,
        store: Store,
        config: Config,
        clock: Callable[[], datetime],
        *,
        concurrency: int = 64,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.concurrency = concurrency
        self._pacers: dict[str, Pacer] = {}
        self._inflight: set[int] = set()  # subscription ids being delivered now
        self._stopping = asyncio.Event()

    # --- content -----------------------------------------------------------------------

    async def preview(
        self, channel: ChannelRef | None = None, category: str | None = None
    ) -> Reply | None:
        """What a digest would hold now (None: nothing new), without sending."""
        now = self.clock()
        categories = self.config.categories.names
        zone, since = self.config.digest.timezone, now - FIRST_WINDOW
        if channel is not None:
            found = await self.store.subscriptions.scheduled(channel)
            if not found:
                raise NotFound(
                    "this channel has no digest subscription: start one with /subscribe <category>"
                )
            sub = found[0].subscription
            categories, zone, since = sub.categories, sub.timezone, _since(found[0], now)
        if category is not None:
            name = self.config.category(category)
            if name is None:
                raise category_error(self.config, category)
            categories = tuple(c for c in categories if c == name)
            if not categories:
                raise NotFound(f"this channel is not subscribed to {name}")
        analyses = await self.store.analyses.created_between(tuple(categories), since, now)
        day = now.astimezone(check_zone(zone)).date()
        return self.render(day, tuple(categories), analyses, title="Digest preview")

    def render(
        self,
        day: date,
        categories: tuple[str, ...],
        analyses: list[Analysis],
        title: str = "Daily digest",
    ) -> Reply | None:
        """The digest document: newest first, at most max_items, grouped by category."""
        if not analyses:
            return None
        chosen = analyses[: self.config.digest.max_items]  # the store ranks by recency, requests
        groups: dict[str, list[Item]] = {c: [] for c in in_order(self.config, categories)}
        for a in chosen:
            item = item_for(a, f"{a.reading_minutes} min read", page_url=self._page(a))
            groups.setdefault(a.category, []).append(item)
        blocks = tuple(Group(name, tuple(items)) for name, items in groups.items() if items)
        meta = _counts(len(analyses), len(chosen), len(blocks))
        return Reply(
            kind="digest",
            title=f"{title} · {day:%A} {day.day} {day:%B %Y}",
            meta=meta,
            blocks=blocks,
            footer=FOOTER,
            category=blocks[0].heading if len(blocks) == 1 else None,
        )

    # --- delivery ----------------------------------------------------------------------

    async def send_due(
        self, senders: Mapping[str, Sender], now: datetime | None = None
    ) -> DeliveryReport:
        """Deliver every digest that is due now (the scheduler and `digest --send`)."""
        now = now or self.clock()
        report = DeliveryReport()
        jobs = await self._claim_due(senders, now, report)
        if not jobs:
            return report
        self._inflight.update(j.subscription.id for j in jobs)
        try:
            gate = asyncio.Semaphore(self.concurrency)
            prepared = await self._prepare(jobs)
            async with asyncio.TaskGroup() as tasks:
                for job in jobs:
                    reply, items = prepared[(*_key(job), job.delivery.period)]
                    tasks.create_task(self._deliver(job, gate, reply, items, report))
        finally:
            self._inflight.difference_update(j.subscription.id for j in jobs)
        event(
            log,
            "digest_pass",
            due=len(jobs),
            sent=len(report.sent),
            failed=len(report.failed),
            empty=len(report.empty),
            skipped=len(report.skipped),
        )
        return report

    def stop(self) -> None:
        """Let sends in progress finish; deliveries not yet started stay pending."""
        self._stopping.set()

    def resume(self) -> None:
        self._stopping.clear()

    async def _claim_due(
        self, senders: Mapping[str, Sender], now: datetime, report: DeliveryReport
    ) -> list[_Job]:
        """Write the due periods as pending (or take over pending ones) in one go."""
        claims: list[Claim] = []
        owed: dict[int, Scheduled] = {}
        for entry in await self.store.subscriptions.scheduled():
            sub = entry.subscription
            if sub.id in self._inflight or sub.channel.platform not in senders:
                continue
            claim = await self._owed(entry, now, report)
            if claim is not None:
                claims.append(claim)
                owed[sub.id] = entry
        jobs = []
        for delivery in await self.store.deliveries.claim(claims, now):
            sub = owed[delivery.subscription_id].subscription
            if delivery.attempts > self.config.digest.max_attempts:
                await self._finish(delivery, sub, "failed", report, error="interrupted too often")
                continue
            jobs.append(_Job(delivery, sub, senders[sub.channel.platform]))
        return jobs

    async def _owed(self, entry: Scheduled, now: datetime, report: DeliveryReport) -> Claim | None:
        """The period this subscription is owed now, if any; too-old ones are skipped."""
        sub = entry.subscription
        period, due = latest_due(now, sub.time, check_zone(sub.timezone))
        if due <= entry.active_since:
            return None  # it fell due before the channel subscribed
        if entry.last_period is not None and (
            entry.last_period > period
            or (entry.last_period == period and entry.last_status != "pending")
        ):
            return None
        window = max(
            timedelta(hours=self.config.digest.catch_up_hours),
            timedelta(seconds=2 * self.config.digest.tick_s),
        )
        if now - due > window:
            if await self.store.deliveries.record(sub.id, period, due, "skipped", now, "too old"):
                report.skipped.append(str(sub.channel))
                event(
                    log,
                    "digest_skipped",
                    logging.WARNING,
                    channel=str(sub.channel),
                    period=period,
                    due=due.isoformat(),
                    reason="older than catch_up_hours",
                )
            return None
        return Claim(sub.id, period, due, _since(entry, now), now)

    async def _prepare(self, jobs: list[_Job]) -> dict[tuple[Any, ...], tuple[Reply | None, int]]:
        """One query and one rendering per distinct (categories, window, period): a big
        fan-out of the same digest shares a handful of each."""
        content: dict[tuple[Any, ...], list[Analysis]] = {}
        prepared: dict[tuple[Any, ...], tuple[Reply | None, int]] = {}
        for job in jobs:
            key = _key(job)
            if key not in content:
                content[key] = await self.store.analyses.created_between(*key)
            period = job.delivery.period
            if (*key, period) not in prepared:
                day = date.fromisoformat(period)
                reply = self.render(day, job.subscription.categories, content[key])
                if reply is None and self.config.digest.send_empty:
                    reply = _empty_digest(day)
                items = min(len(content[key]), self.config.digest.max_items)
                prepared[(*key, period)] = (reply, items)
        return prepared

    async def _deliver(
        self,
        job: _Job,
        gate: asyncio.Semaphore,
        reply: Reply | None,
        items: int,
        report: DeliveryReport,
    ) -> None:
        sub = job.subscription
        if self._stopping.is_set():
            report.interrupted.append(str(sub.channel))
            return
        try:
            if reply is None:
                await self._finish(job.delivery, sub, "empty", report)
            else:
                await self._send(job, reply, items, gate, report)
        except Exception:  # left pending: the next pass tries it again
            event(log, "digest_error", logging.ERROR, exc=True, channel=sub.channel)
            report.interrupted.append(str(sub.channel))

    async def _send(
        self,
        job: _Job,
        reply: Reply,
        items: int,
        gate: asyncio.Semaphore,
        report: DeliveryReport,
    ) -> None:
        """Send with pacing; gone deactivates, moved follows, transient errors retry.

        The pacer slot is taken before the concurrency gate: waiting for a slot costs
        nothing, and the gate only bounds requests actually on the wire.
        """
        d, sub = job.delivery, job.subscription
        channel, attempts, moved = sub.channel, d.attempts, False
        pacer = self._pacer(channel.platform)
        while True:
            await pacer.acquire(channel.id)
            try:
                async with gate:
                    if self._stopping.is_set():
                        report.interrupted.append(str(channel))
                        return
                    await job.sender.send(channel, reply)
            except ChannelGone as exc:
                await self._gone(d, sub, channel, exc, report)
                return
            except ChannelMoved as exc:
                if moved:  # a second move in one delivery: something is wrong, stop here
                    await self._finish(d, sub, "failed", report, error="moved twice")
                    return
                channel, moved = await self._moved(channel, exc.new_id, report), True
                continue
            except (SendFailed, OSError, TimeoutError) as exc:
                if not await self._retry(d, sub, attempts, exc, report):
                    return
                attempts += 1
                continue
            await self._finish(d, sub, "sent", report, items=items, channel=channel)
            return

    async def _gone(
        self,
        d: Delivery,
        sub: Subscription,
        channel: ChannelRef,
        exc: ChannelGone,
        report: DeliveryReport,
    ) -> None:
        """The bot can no longer post there: stop the subscription, fail the period."""
        await self.store.subscriptions.deactivate(channel, self.clock())
        report.deactivated.append(str(channel))
        await self._finish(d, sub, "failed", report, error=f"channel-gone: {exc}")

    async def _moved(self, channel: ChannelRef, new_id: str, report: DeliveryReport) -> ChannelRef:
        """Telegram upgraded the group: the subscription follows, the digest is resent there."""
        new = ChannelRef(channel.platform, new_id)
        await self.store.subscriptions.move(channel, new, self.clock())
        report.moved.append(f"{channel} -> {new}")
        event(log, "digest_moved", channel=str(channel), to=str(new))
        return new

    async def _retry(
        self,
        d: Delivery,
        sub: Subscription,
        attempts: int,
        exc: Exception,
        report: DeliveryReport,
    ) -> bool:
        """Back off before another attempt; False once the bound is reached (or stopping)."""
        error = f"send-failed: {exc}"
        if attempts >= self.config.digest.max_attempts:
            await self._finish(d, sub, "failed", report, error=error)
            return False
        await self.store.deliveries.retrying(d.id, error, self.clock())
        backoff = self.config.digest.retry_backoff_s * 2 ** (attempts - 1)
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
        except TimeoutError:
            return True
        report.interrupted.append(str(sub.channel))
        return False  # stopping: the row stays pending and goes out after the restart

    async def _finish(
        self,
        d: Delivery,
        sub: Subscription,
        status: str,
        report: DeliveryReport,
        *,
        items: int = 0,
        error: str | None = None,
        channel: ChannelRef | None = None,
    ) -> None:
        await self.store.deliveries.finish(d.id, status, self.clock(), items=items, error=error)
        target = str(channel or sub.channel)
        {"sent": report.sent, "failed": report.failed, "empty": report.empty}[status].append(target)
        level = logging.WARNING if status == "failed" else logging.INFO
        event(
            log,
            "digest_delivery",
            level,
            channel=target,
            period=d.period,
            status=status,
            items=items,
            attempts=d.attempts,
            error=error or "-",
        )

    def _pacer(self, platform: str) -> Pacer:
        """One pacer per platform, shared by every pass so concurrent passes add up."""
        if platform not in self._pacers:
            self._pacers[platform] = pacer_for(platform, self.config.digest)
        return self._pacers[platform]

    def _page(self, analysis: Analysis) -> str | None:
        """The analysis's web page when `[web] base_url` is set (issue 14)."""
        base = self.config.web.base_url
        return page_url(base, analysis.id, analysis.headline) if base else None


def _since(entry: Scheduled, now: datetime) -> datetime:
    """Where a digest starts: at the last delivered one, but never before the day
    preceding (re)activation, so a first digest covers a day and a channel that comes
    back after unsubscribing is not flooded; skipped or failed periods are made up."""
    floor = min(now - FIRST_WINDOW, entry.active_since)
    return max(entry.last_until, floor) if entry.last_until else floor


def _key(job: _Job) -> tuple[Any, ...]:
    return (job.subscription.categories, job.delivery.since, job.delivery.until)


def _empty_digest(day: date) -> Reply:
    """`send_empty = true`: the channel hears that today had nothing new."""
    return Reply(
        kind="digest",
        title=f"Daily digest · {day:%A} {day.day} {day:%B %Y}",
        meta="Nothing new in your categories today.",
        footer=FOOTER,
    )


def _counts(total: int, shown: int, groups: int) -> str:
    noun = "analysis" if total == 1 else "analyses"
    where = "1 category" if groups == 1 else f"{groups} categories"
    text = f"{total} new {noun} in {where}"
    return text if shown == total else f"{text} · the {shown} newest shown"


def reply_to_json(reply: Reply | None) -> dict[str, Any]:
    """A digest as JSON for `prism-bot digest --json`: title, counts and grouped items."""
    if reply is None:
        return {"title": None, "meta": None, "count": 0, "groups": []}
    groups = [
        {
            "category": block.heading,
            "items": [
                {
                    "analysis_id": item.analysis_id,
                    "headline": item.title,
                    "lead": item.text,
                    "meta": item.meta,
                    "url": item.url,
                }
                for item in block.blocks
                if isinstance(item, Item)
            ],
        }
        for block in reply.blocks
        if isinstance(block, Group)
    ]
    return {
        "title": reply.title,
        "meta": reply.meta,
        "count": sum(len(g["items"]) for g in groups),
        "groups": groups,
    }
