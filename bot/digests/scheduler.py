"""The digest scheduler: APScheduler 3.x on the bot's event loop, asking the ledger.

Why a tick and not one cron job per (time, zone): with per-time jobs the
scheduler's memory decides what is due, and APScheduler's defaults lose digests
(a 1-second misfire grace drops a run that was due while the process was down or
the loop was busy, and jobs must be rebuilt whenever a subscription changes). A
tick every `digest.tick_s` instead asks the ledger which periods are owed, so
restarts, downtime (catch-up within `catch_up_hours`), DST change days and new
subscriptions need no special case: `latest_due` resolves the local time, the
ledger's UNIQUE(subscription, period) row makes each period go out once.

Each tick starts a delivery pass as a task and returns: a long fan-out or a
back-off never delays the next tick, and the digest service skips subscriptions
already in flight, so overlapping passes never double-claim.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Config
from bot.digests.delivery import DeliveryReport
from bot.lifecycle import StartStop
from bot.logs import event
from bot.ports import Sender

log = logging.getLogger("prism.scheduler")


class Deliveries(Protocol):
    """What the scheduler drives: bot.digests.service.DigestService."""

    async def send_due(self, senders: Mapping[str, Sender]) -> DeliveryReport:
        """One delivery pass over every due digest."""
        ...

    def stop(self) -> None:
        """Let sends in progress finish; start no new ones."""
        ...

    def resume(self) -> None:
        """Deliver again."""
        ...


class DigestScheduler(StartStop):
    """Runs digest passes on a tick; start() catches up first, stop() lets sends finish."""

    def __init__(self, digests: Deliveries, senders: Mapping[str, Sender], config: Config) -> None:
        self.digests = digests
        self.senders = senders
        self.config = config
        self._scheduler: AsyncIOScheduler | None = None
        self._passes: set[asyncio.Task[DeliveryReport]] = set()
        self.reports: list[DeliveryReport] = []  # the latest passes, newest last
        self.completed = 0  # passes finished since construction

    @property
    def running(self) -> bool:
        """Ticking now."""
        return self._scheduler is not None

    async def start(self) -> None:
        """On the running loop: a catch-up pass now, then one every tick."""
        if self._scheduler is not None:
            return
        self.digests.resume()
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone="UTC")
        scheduler.add_job(
            self._on_tick,  # a coroutine: APScheduler would run a plain function in a thread
            IntervalTrigger(seconds=self.config.digest.tick_s, timezone="UTC"),
            id="digest-tick",
            max_instances=1,
            coalesce=True,  # after a stall, one tick, not a burst of them
            misfire_grace_time=None,  # a late tick still runs: the ledger says what is owed
        )
        scheduler.start()
        self._scheduler = scheduler
        self.tick()  # the catch-up pass: digests that fell due while we were down
        event(log, "scheduler_started", tick_s=self.config.digest.tick_s)

    async def _on_tick(self) -> None:
        """APScheduler's job: start a pass, return at once."""
        self.tick()

    def tick(self) -> asyncio.Task[DeliveryReport]:
        """Start one delivery pass in the background and return its task."""
        task = asyncio.get_running_loop().create_task(self._pass())
        self._passes.add(task)
        task.add_done_callback(self._passes.discard)
        return task

    async def _pass(self) -> DeliveryReport:
        try:
            report = await self.digests.send_due(self.senders)
        except Exception:  # a broken pass must not stop the ticks
            event(log, "digest_pass_failed", logging.ERROR, exc=True)
            report = DeliveryReport()
        self.reports = [*self.reports[-9:], report]
        self.completed += 1
        return report

    async def idle(self) -> None:
        """Wait for the passes running now (tests, and stop())."""
        while self._passes:
            await asyncio.gather(*self._passes, return_exceptions=True)

    async def stop(self) -> None:
        """No new ticks; sends in progress finish, the rest stay pending for next time."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        self.digests.stop()
        await self.idle()
        event(log, "scheduler_stopped")
