"""The SQLite store: one Database, one repository per concept."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.store.analyses import AnalysisRepo, iso, utcnow
from bot.store.db import Database
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

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        return cls(await Database.open(path))

    async def close(self) -> None:
        await self.usage.close()
        await self.db.close()


if TYPE_CHECKING:
    from bot.config import Config
    from bot.store.postgres.store import PgStore


async def open_store(config: Config) -> Store | PgStore:
    """The store `[storage]` names: PostgreSQL when `url` is set, else SQLite at `path`."""
    if config.storage.url:
        from bot.store.postgres.store import PgStore  # the `postgres` extra, only when asked

        return await PgStore.open(config.storage.url)
    return await Store.open(config.storage.path)
