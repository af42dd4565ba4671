"""Digest delivery: what each subscription is owed, sent once through the ledger.

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
from bot.digests.content import DigestContent, empty_digest, window_start
from bot.digests.pacing import Pacer, pacer_for
from bot.digests.periods import check_zone, latest_due
from bot.errors import ChannelGone, ChannelMoved, SendFailed
from bot.languages import prefer_language
from bot.logs import event
from bot.models import Analysis, ChannelRef, Reply, Subscription
from bot.ports import Sender
from bot.store import StoreContract
from bot.store.subscriptions import Claim, Delivery, Scheduled

log = logging.getLogger("prism.digest")


@dataclass
class DeliveryReport:
    """What one delivery pass did, channel by channel (logs, `digest --send --json`)."""

    sent: list[str] = field(default_factory=list)  # channel refs
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # fell due too long ago
    empty: list[str] = field(default_factory=list)  # nothing new, nothing sent
    deactivated: list[str] = field(default_factory=list)  # gone: subscription stopped
    moved: list[str] = field(default_factory=list)  # "old -> new"
    interrupted: list[str] = field(default_factory=list)  # left pending by stop()

    def to_dict(self) -> dict[str, list[str]]:
        """Every list by name."""
        return asdict(self)


@dataclass
class _Job:
    delivery: Delivery
    subscription: Subscription
    sender: Sender


class DigestDelivery:
    """Delivers the due digests, paced per platform, once each (the ledger decides)."""

    def __init__(
        self,
        store: StoreContract,
        config: Config,
        clock: Callable[[], datetime],
        content: DigestContent,
        *,
        concurrency: int = 64,
        batch: int = 500,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.content = content
        self.concurrency = concurrency
        self.batch = batch  # claims per round trip: a process's share of a big fan-out
        self._pacers: dict[str, Pacer] = {}
        self._inflight: set[int] = set()  # subscription ids being delivered now
        self._stopping = asyncio.Event()

    async def send_due(
        self, senders: Mapping[str, Sender], now: datetime | None = None
    ) -> DeliveryReport:
        """Deliver every digest that is due now (the scheduler and `digest --send`).

        Claims are taken `batch` at a time, at most two batches out at once (the next
        is claimed while the current one sends, so the pacer never waits on the ledger):
        several processes running passes at once each take their share of a big
        fan-out (and a crash leaves at most two batches leased), while the shared pacer
        keeps their sum at the platform's rate.
        """
        now = now or self.clock()
        report = DeliveryReport()
        owed = await self._owed_now(senders, now, report)
        due = 0
        sending: asyncio.Task[None] | None = None
        try:
            for start in range(0, len(owed), self.batch):
                if self._stopping.is_set():
                    break
                jobs = await self._claim(owed[start : start + self.batch], senders, now, report)
                due += len(jobs)
                previous = sending
                sending = asyncio.create_task(self._send_batch(jobs, report))
                if previous is not None:
                    await previous
        finally:
            if sending is not None:
                await sending
        if due:
            event(
                log,
                "digest_pass",
                due=due,
                sent=len(report.sent),
                failed=len(report.failed),
                empty=len(report.empty),
                skipped=len(report.skipped),
            )
        return report

    async def _send_batch(self, jobs: list[_Job], report: DeliveryReport) -> None:
        """Send one batch of claimed deliveries concurrently, paced (_claim registered
        them in flight; they leave it here)."""
        if not jobs:
            return
        try:
            gate = asyncio.Semaphore(self.concurrency)
            prepared = await self._prepare(jobs)
            async with asyncio.TaskGroup() as tasks:
                for job, (reply, items) in zip(jobs, prepared, strict=True):
                    tasks.create_task(self._deliver(job, gate, reply, items, report))
        finally:
            self._inflight.difference_update(j.subscription.id for j in jobs)

    def stop(self) -> None:
        """Let sends in progress finish; deliveries not yet started stay pending."""
        self._stopping.set()

    def resume(self) -> None:
        """Deliver again after stop() (a scheduler that starts again)."""
        self._stopping.clear()

    async def _owed_now(
        self, senders: Mapping[str, Sender], now: datetime, report: DeliveryReport
    ) -> list[tuple[Claim, Scheduled]]:
        """What each subscription is owed now, from one read of the ledger. A stale read
        is harmless: the claim itself skips rows made final or leased since."""
        owed = []
        for entry in await self.store.subscriptions.scheduled():
            sub = entry.subscription
            if sub.id in self._inflight or sub.channel.platform not in senders:
                continue
            claim = await self._owed(entry, now, report)
            if claim is not None:
                owed.append((claim, entry))
        return owed

    async def _claim(
        self,
        owed: list[tuple[Claim, Scheduled]],
        senders: Mapping[str, Sender],
        now: datetime,
        report: DeliveryReport,
    ) -> list[_Job]:
        """Write one batch of due periods as pending (or take over pending ones) in one
        go; rows another process holds, or finished since the read, come back unclaimed."""
        entries = {claim.subscription_id: entry for claim, entry in owed}
        wanted = [c for c, _ in owed if c.subscription_id not in self._inflight]
        claimed = await self.store.deliveries.claim(wanted, now)
        # A row this process holds counts as free to its own claims: another pass of
        # ours may have claimed it meanwhile. Whoever registers first sends it; the
        # registration follows the claim with no await between, so it is decided here.
        claimed = [d for d in claimed if d.subscription_id not in self._inflight]
        self._inflight.update(d.subscription_id for d in claimed)
        jobs = []
        for delivery in claimed:
            sub = entries[delivery.subscription_id].subscription
            if delivery.attempts > self.config.digest.max_attempts:
                self._inflight.discard(sub.id)
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
        return Claim(sub.id, period, due, window_start(entry, now), now)

    async def _prepare(self, jobs: list[_Job]) -> list[tuple[Reply | None, int]]:
        """Each job's digest and item count, in order. One query per distinct
        (categories, window) and one rendering per (…, period, channel language): a big
        fan-out of the same digest shares a handful of each."""
        content: dict[tuple[Any, ...], list[Analysis]] = {}
        prepared: dict[tuple[Any, ...], tuple[Reply | None, int]] = {}
        out: list[tuple[Reply | None, int]] = []
        chosen = await self.store.channels.languages()  # one query for the whole pass
        default = self.content.default_language()
        for job in jobs:
            key = _key(job)
            if key not in content:
                content[key] = await self.store.analyses.created_between(*key)
            period = job.delivery.period
            language = chosen.get(str(job.subscription.channel)) or default
            if (*key, period, language) not in prepared:
                day = date.fromisoformat(period)
                found = prefer_language(content[key], language)
                stories = await self.content.story_ids(found)
                reply = self.content.render(
                    day, job.subscription.categories, found, language=language, stories=stories
                )
                if reply is None and self.config.digest.send_empty:
                    reply = empty_digest(day)
                items = min(len(found), self.config.digest.max_items)
                prepared[(*key, period, language)] = (reply, items)
            out.append(prepared[(*key, period, language)])
        return out

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
        pacer = self.pacer(channel.platform)
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

    def pacer(self, platform: str) -> Pacer:
        """One pacer per platform, shared by every pass so concurrent passes add up; its
        overall rate is drawn from the store, shared by every process on the bot's token."""
        if platform not in self._pacers:
            token = {"telegram": self.config.telegram.token, "discord": self.config.discord.token}
            self._pacers[platform] = pacer_for(
                platform, self.config.digest, self.store.pacing, token.get(platform, "")
            )
        return self._pacers[platform]


def _key(job: _Job) -> tuple[Any, ...]:
    return (job.subscription.categories, job.delivery.since, job.delivery.until)
