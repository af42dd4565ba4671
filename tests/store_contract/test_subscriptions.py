"""Subscriptions and the delivery ledger, as every backend must behave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import ChannelRef
from bot.store import StoreContract
from bot.store.contract import Claim

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
HERE = ChannelRef("telegram", "-100")
THERE = ChannelRef("telegram", "-200")


async def _subscribe(store: StoreContract, channel: ChannelRef = HERE) -> int:
    saved = await store.subscriptions.save(channel, ("Economy",), "08:00", "UTC", T0, True)
    return saved.id


async def test_save_get_and_update(backend: StoreContract) -> None:
    ident = await _subscribe(backend)
    got = await backend.subscriptions.get(HERE)
    assert got is not None and got.id == ident
    assert got.categories == ("Economy",) and got.time == "08:00" and got.active
    assert await backend.subscriptions.by_id(ident) == got
    again = await backend.subscriptions.save(
        HERE, ("Economy", "Science"), "09:30", "Europe/Berlin", T0, False
    )
    assert again.id == ident and again.timezone == "Europe/Berlin"
    assert await backend.subscriptions.get(THERE) is None
    assert await backend.subscriptions.count_active() == 1


async def test_no_categories_left_means_unsubscribed(backend: StoreContract) -> None:
    await _subscribe(backend)
    await backend.subscriptions.set_categories(HERE, (), T0)
    got = await backend.subscriptions.get(HERE)
    assert got is not None and not got.active
    assert await backend.subscriptions.count_active() == 0
    assert await backend.subscriptions.scheduled() == []


async def test_deactivate_and_move(backend: StoreContract) -> None:
    ident = await _subscribe(backend)
    assert await backend.subscriptions.move(HERE, THERE, T0) is True
    moved = await backend.subscriptions.get(THERE)
    assert moved is not None and moved.id == ident
    assert await backend.subscriptions.deactivate(THERE, T0) is True
    assert await backend.subscriptions.deactivate(THERE, T0) is False
    assert await backend.subscriptions.move(HERE, THERE, T0) is False


async def test_claim_finish_and_the_ledger(backend: StoreContract) -> None:
    ident = await _subscribe(backend)
    claim = Claim(ident, "2026-03-01", T0, T0 - timedelta(days=1), T0)
    (row,) = await backend.deliveries.claim([claim], T0)
    assert (row.status, row.attempts, row.period) == ("pending", 1, "2026-03-01")
    (again,) = await backend.deliveries.claim([claim], T0)  # a crash: taken over
    assert again.id == row.id and again.attempts == 2
    await backend.deliveries.retrying(row.id, "flood wait", T0)
    await backend.deliveries.finish(row.id, "sent", T0, items=3)
    assert await backend.deliveries.claim([claim], T0) == []  # final rows stay final
    assert await backend.deliveries.last_until(ident) == T0
    assert await backend.deliveries.counts() == {"sent": 1}
    (scheduled,) = await backend.subscriptions.scheduled(HERE)
    assert (scheduled.last_period, scheduled.last_status) == ("2026-03-01", "sent")
    assert scheduled.last_until == T0


async def test_record_decides_a_period_once(backend: StoreContract) -> None:
    ident = await _subscribe(backend)
    assert await backend.deliveries.record(ident, "2026-02-27", T0, "skipped", T0) is True
    assert await backend.deliveries.record(ident, "2026-02-27", T0, "skipped", T0) is False
    rows = await backend.deliveries.for_subscription(ident)
    assert [(r.period, r.status) for r in rows] == [("2026-02-27", "skipped")]
    assert await backend.deliveries.last_until(ident) is None
    assert await backend.deliveries.claim([], T0) == []
