"""The digest service the core holds: content (bot/digests/content.py) and delivery
(bot/digests/delivery.py) behind one object, so callers keep one name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from bot.config import Config
from bot.digests.content import DigestContent
from bot.digests.delivery import DeliveryReport, DigestDelivery
from bot.models import Analysis, ChannelRef, Reply
from bot.ports import Sender
from bot.store import StoreContract

__all__ = ["DeliveryReport", "DigestService"]


class DigestService:
    """Builds digests and delivers the due ones, paced per platform, once each."""

    def __init__(
        self,
        store: StoreContract,
        config: Config,
        clock: Callable[[], datetime],
        *,
        concurrency: int = 64,
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.content = DigestContent(store, config, clock)
        self.delivery = DigestDelivery(store, config, clock, self.content, concurrency=concurrency)

    async def preview(
        self, channel: ChannelRef | None = None, category: str | None = None
    ) -> Reply | None:
        """What a digest would hold now (None: nothing new), without sending."""
        return await self.content.preview(channel=channel, category=category)

    def render(
        self,
        day: date,
        categories: tuple[str, ...],
        analyses: list[Analysis],
        title: str = "Daily digest",
    ) -> Reply | None:
        """The digest document for one day's analyses."""
        return self.content.render(day, categories, analyses, title)

    async def send_due(
        self, senders: Mapping[str, Sender], now: datetime | None = None
    ) -> DeliveryReport:
        """Deliver every digest that is due now (the scheduler and `digest --send`)."""
        return await self.delivery.send_due(senders, now)

    def stop(self) -> None:
        """Let sends in progress finish; deliveries not yet started stay pending."""
        self.delivery.stop()

    def resume(self) -> None:
        """Deliver again after stop()."""
        self.delivery.resume()
