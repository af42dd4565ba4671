"""The store: every SQL statement of the bot, behind the contract in bot.store.contract.

SQLite is the default backend: one Database, one repository per concept.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bot.store.analyses import AnalysisRepo, iso, utcnow
from bot.store.channels import ChannelRepo
from bot.store.contract import StoreContract, Totals
from bot.store.db import Database
from bot.store.feeds import FeedRepo
from bot.store.locks import FileLocks
from bot.store.pacing import PacingRepo, UpdateLog
from bot.store.subscriptions import LEASE, DeliveryRepo, SubscriptionRepo
from bot.store.text import TextIndex
from bot.store.thoughts import ThoughtRepo
from bot.store.usage import UsageRepo
from bot.store.vectors import VectorRepo

__all__ = [
    "AnalysisRepo",
    "Database",
    "Store",
    "StoreContract",
    "Totals",
    "UsageRepo",
    "iso",
    "open_store",
    "utcnow",
]


class Store:
    """Everything persistent (SQLite), opened once per process and closed on shutdown."""

    def __init__(self, db: Database, lease: timedelta = LEASE) -> None:
        self.db = db
        self.analyses = AnalysisRepo(db)
        self.usage = UsageRepo(db)
        self.subscriptions = SubscriptionRepo(db)
        self.deliveries = DeliveryRepo(db, lease=lease)
        self.text = TextIndex(db)
        self.vectors = VectorRepo(db)
        self.thoughts = ThoughtRepo(db)
        self.feeds = FeedRepo(db)
        self.locks = FileLocks(db.path)
        self.channels = ChannelRepo(db)
        self.pacing = PacingRepo(db)
        self.updates = UpdateLog(db)

    @classmethod
    async def open(cls, path: str | Path, lease: timedelta = LEASE) -> Store:
        """Open (creating if needed) and migrate the SQLite file at `path`; `lease` is how
        long a claimed delivery stays this process's ([digest] lease_s)."""
        return cls(await Database.open(path), lease)

    def describe(self) -> str:
        """The SQLite file, for `doctor`."""
        return f"sqlite {self.db.path}"

    async def schema_version(self) -> int:
        """The number of the newest migration applied (SQLite's user_version)."""
        return await self.db.user_version()

    async def close(self) -> None:
        """Write pending request counts, then close the connection."""
        await self.usage.close()
        self.text.close()
        await self.db.close()

    async def aclose(self) -> None:
        """The same as `close`, under the name every other part uses."""
        await self.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()


if TYPE_CHECKING:
    from bot.config import Config


async def open_store(config: Config) -> StoreContract:
    """The store `[storage]` names: PostgreSQL when `url` is set, else SQLite at `path`."""
    lease = timedelta(seconds=config.digest.lease_s)
    if config.storage.url:
        from bot.store.postgres.store import PgStore  # the `postgres` extra, only when asked

        return await PgStore.open(config.storage.url, lease)
    return await Store.open(config.storage.path, lease)
