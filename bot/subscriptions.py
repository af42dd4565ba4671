"""Channel subscriptions to categories (stub: the digest issue replaces this)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.config import Config
from bot.errors import NotAvailable
from bot.models import Reply, Request
from bot.store import Store


class SubscriptionService:
    """The /subscribe, /unsubscribe and /subscriptions commands.

    The core has already checked admin rights for commands marked `admin`.
    """

    def __init__(self, store: Store, config: Config, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    async def subscribe(self, request: Request) -> Reply:
        raise NotAvailable("digests are not available yet")

    async def unsubscribe(self, request: Request) -> Reply:
        raise NotAvailable("digests are not available yet")

    async def list(self, request: Request) -> Reply:
        raise NotAvailable("digests are not available yet")
