"""Related analyses (stub: the related-articles issue replaces this)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import Config
from bot.errors import NotAvailable
from bot.models import Analysis
from bot.store import Store


@dataclass(frozen=True, slots=True)
class RelatedHit:
    analysis: Analysis
    score: float
    reason: str  # short, shown to users: "same story: Ford, Xiaomi", "also Economy"


class RelatedIndex:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config

    async def find(
        self, source: Analysis, limit: int | None = None, now: datetime | None = None
    ) -> list[RelatedHit]:
        """Analyses related to `source`, best first, never `source` or its duplicates."""
        raise NotAvailable("related articles are not available yet")
