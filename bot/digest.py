"""Digest content and delivery (stub: the digest issue replaces this)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Config
from bot.errors import NotAvailable
from bot.models import ChannelRef, Reply
from bot.ports import Sender
from bot.store import Store


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)  # channel refs
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)


class DigestService:
    def __init__(self, store: Store, config: Config, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    async def preview(
        self, channel: ChannelRef | None = None, category: str | None = None
    ) -> Reply | None:
        """What a digest would hold now (None: nothing new), without sending."""
        raise NotAvailable("digests are not available yet")

    async def send_due(
        self, senders: Mapping[str, Sender], now: datetime | None = None
    ) -> DeliveryReport:
        """Deliver every digest that is due now (the scheduler and `digest --send`)."""
        raise NotAvailable("digests are not available yet")
