"""The SQLite store: one Database, one repository per concept."""

from __future__ import annotations

from pathlib import Path

from bot.store.analyses import AnalysisRepo, iso, utcnow
from bot.store.db import Database
from bot.store.feeds import FeedRepo
from bot.store.subscriptions import DeliveryRepo, SubscriptionRepo
from bot.store.usage import Totals, UsageRepo

__all__ = ["AnalysisRepo", "Database", "Store", "Totals", "UsageRepo", "iso", "utcnow"]


class Store:
    """Everything persistent, opened once per process and closed on shutdown."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.analyses = AnalysisRepo(db)
        self.usage = UsageRepo(db)
        self.subscriptions = SubscriptionRepo(db)
        self.deliveries = DeliveryRepo(db)
        self.feeds = FeedRepo(db)

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        return cls(await Database.open(path))

    async def close(self) -> None:
        await self.usage.close()
        await self.db.close()
