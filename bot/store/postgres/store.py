"""PgStore: the PostgreSQL counterpart of bot.store.Store, with the same repositories."""

from __future__ import annotations

from bot.store.postgres.analyses import PgAnalysisRepo
from bot.store.postgres.db import PgDatabase
from bot.store.postgres.feeds import PgFeedRepo
from bot.store.postgres.subscriptions import PgDeliveryRepo, PgSubscriptionRepo
from bot.store.postgres.url import describe
from bot.store.postgres.usage import PgUsageRepo


class PgStore:
    """Everything persistent on a PostgreSQL database that several processes may share."""

    backend = "postgresql"

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self.analyses = PgAnalysisRepo(db)
        self.usage = PgUsageRepo(db)
        self.subscriptions = PgSubscriptionRepo(db)
        self.deliveries = PgDeliveryRepo(db)
        self.feeds = PgFeedRepo(db)

    @classmethod
    async def open(cls, url: str) -> PgStore:
        """Connect to the database in `url` (which must exist) and bring its schema up to date."""
        return cls(await PgDatabase.open(url))

    def describe(self) -> str:
        """`PostgreSQL host:port/db`, for doctor (never the password)."""
        return describe(self.db.url)

    async def close(self) -> None:
        """Flush usage, hand back unsent claimed digests to any process, close the pool."""
        await self.usage.close()
        await self.deliveries.release()  # a clean stop need not wait out its leases
        await self.db.close()
