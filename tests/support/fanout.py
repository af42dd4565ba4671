"""Stores with many channels whose digest is due now (the multi-process tests and bench)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.models import ChannelRef
from bot.store import StoreContract
from tests.support.digests import add_analysis


async def due_now(store: StoreContract, channels: Sequence[ChannelRef], now: datetime) -> None:
    """One Economy analysis, and every channel subscribed with its digest due minutes ago
    (on the wall clock, as a `run` process reads it)."""
    await add_analysis(store, "Rates held steady", "Economy", now - timedelta(hours=1))
    at = (now - timedelta(minutes=2)).strftime("%H:%M")
    for channel in channels:
        await store.subscriptions.save(
            channel, ("Economy",), at, "UTC", now - timedelta(minutes=10), restart=True
        )


def telegram_chats(count: int) -> list[ChannelRef]:
    """Group chat ids, as Telegram numbers them."""
    return [ChannelRef("telegram", str(-1_000_000 - n)) for n in range(count)]
