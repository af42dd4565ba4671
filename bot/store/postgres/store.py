"""PgStore: the PostgreSQL counterpart of bot.store.Store, with the same repositories."""

from __future__ import annotations

from datetime import timedelta
from types import TracebackType

from bot.store.postgres.analyses import PgAnalysisRepo
from bot.store.postgres.channels import PgChannelRepo
from bot.store.postgres.db import PgDatabase
from bot.store.postgres.feeds import PgFeedRepo
from bot.store.postgres.locks import PgLocks
from bot.store.postgres.pacing import PgPacingRepo, PgUpdateLog
from bot.store.postgres.subscriptions import PgDeliveryRepo, PgSubscriptionRepo
from bot.store.postgres.text import PgTextIndex
from bot.store.postgres.thoughts import PgThoughtRepo
from bot.store.postgres.url import describe
from bot.store.postgres.usage import PgUsageRepo
from bot.store.postgres.vectors import PgVectorRepo
from bot.store.subscriptions import LEASE


class PgStore:
    """Everything persistent on a PostgreSQL database that several processes may share."""

    backend = "postgresql"

    def __init__(self, db: PgDatabase, lease: timedelta = LEASE) -> None:
        self.db = db
        self.analyses = PgAnalysisRepo(db)
        self.usage = PgUsageRepo(db)
        self.subscriptions = PgSubscriptionRepo(db)
        self.deliveries = PgDeliveryRepo(db, lease=lease)
        self.text = PgTextIndex(db)
        self.vectors = PgVectorRepo(db)
        self.thoughts = PgThoughtRepo(db)
        self.locks = PgLocks(db.url)
        self.channels = PgChannelRepo(db)
        self.pacing = PgPacingRepo(db)
        self.updates = PgUpdateLog(db)
        self.feeds = PgFeedRepo(db)

    @classmethod
    async def open(cls, url: str, lease: timedelta = LEASE) -> PgStore:
        """Connect to the database in `url` (which must exist) and bring its schema up to
        date; `lease` is how long a claimed delivery stays this process's."""
        return cls(await PgDatabase.open(url), lease)

    def describe(self) -> str:
        """`PostgreSQL host:port/db`, for doctor (never the password)."""
        return describe(self.db.url)

    async def schema_version(self) -> int:
        """The number of the newest migration applied."""
        return await self.db.version()

    async def close(self) -> None:
        """Flush usage, hand back unsent claimed digests to any process, close the pool."""
        await self.usage.close()
        await self.deliveries.release()  # a clean stop need not wait out its leases
        await self.locks.close()
        await self.db.close()

    async def aclose(self) -> None:
        """The same as `close`, under the name every other part uses."""
        await self.close()

    async def __aenter__(self) -> PgStore:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()
