"""Subscriptions (one row per channel) and the delivery ledger (one row per period).

The ledger is what makes a digest go out once: a row is written `pending` before the
send and marked `sent` once the platform accepted it, so a restart never repeats a
sent period and can only repeat the ones that were in flight. A pending row is leased
to the process that claimed it (`claimed_by`, `lease_until`): another process sharing
the database leaves it alone until the lease runs out, then takes it over.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bot.models import ChannelRef, Subscription
from bot.store.analyses import iso
from bot.store.contract import Claim, Delivery, Scheduled
from bot.store.db import Database

__all__ = ["Claim", "Delivery", "DeliveryRepo", "Scheduled", "SubscriptionRepo"]

FINAL = ("sent", "failed", "skipped", "empty")
DELIVERED = ("sent", "empty")  # the next digest starts where these ended
# A claim left by a dead process is free after LEASE; with the scheduler's 30 s tick it
# is taken over well within the 2 minutes DESIGN promises. A live process renews its
# leases as it makes progress, at most every LEASE / 4.
LEASE = timedelta(seconds=60)


def process_owner() -> str:
    """A name for this process in the ledger: host, pid and a random tail (pids recur)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class SubscriptionRepo:
    """One subscription row per channel (SQLite)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, channel: ChannelRef) -> Subscription | None:
        """The channel's subscription, active or not."""
        row = await self.db.fetchmaybe(
            "SELECT * FROM subscriptions WHERE channel = ?", (str(channel),)
        )
        return _subscription(row) if row else None

    async def by_id(self, subscription_id: int) -> Subscription | None:
        """A subscription by id."""
        row = await self.db.fetchmaybe(
            "SELECT * FROM subscriptions WHERE id = ?", (subscription_id,)
        )
        return _subscription(row) if row else None

    async def save(
        self,
        channel: ChannelRef,
        categories: tuple[str, ...],
        time: str,
        timezone: str,
        now: datetime,
        restart: bool,
    ) -> Subscription:
        """Create or update the channel's row, active; `restart` moves active_since to now."""
        stamp = iso(now)
        async with self.db.write() as conn:
            await conn.execute(
                """INSERT INTO subscriptions(channel, categories, time, timezone, active,
                                             created_at, updated_at, active_since)
                   VALUES (?, ?, ?, ?, 1, ?, ?, ?)
                   ON CONFLICT(channel) DO UPDATE SET
                     categories = excluded.categories, time = excluded.time,
                     timezone = excluded.timezone, active = 1,
                     updated_at = excluded.updated_at,
                     active_since = CASE WHEN ? THEN excluded.active_since
                                         ELSE subscriptions.active_since END""",
                (
                    str(channel),
                    json.dumps(list(categories)),
                    time,
                    timezone,
                    stamp,
                    stamp,
                    stamp,
                    int(restart),
                ),
            )
        saved = await self.get(channel)
        assert saved is not None
        return saved

    async def set_categories(
        self, channel: ChannelRef, categories: tuple[str, ...], now: datetime
    ) -> None:
        """Keep these categories; none left means the channel is unsubscribed."""
        await self.db.execute(
            "UPDATE subscriptions SET categories = ?, active = ?, updated_at = ? WHERE channel = ?",
            (json.dumps(list(categories)), int(bool(categories)), iso(now), str(channel)),
        )

    async def deactivate(self, channel: ChannelRef, now: datetime) -> bool:
        """Stop a channel's digests (it is gone); False if none was active."""
        changed = await self.db.execute(
            "UPDATE subscriptions SET active = 0, updated_at = ? WHERE channel = ? AND active = 1",
            (iso(now), str(channel)),
        )
        return changed > 0

    async def move(self, channel: ChannelRef, new: ChannelRef, now: datetime) -> bool:
        """Point the subscription at the channel's new id, merging if one exists there."""
        old = await self.get(channel)
        if old is None:
            return False
        target = await self.get(new)
        async with self.db.write() as conn:
            if target is None:
                await conn.execute(
                    "UPDATE subscriptions SET channel = ?, updated_at = ? WHERE id = ?",
                    (str(new), iso(now), old.id),
                )
                return True
            merged = tuple(dict.fromkeys(target.categories + old.categories))
            await conn.execute(
                "UPDATE subscriptions SET categories = ?, active = 1, updated_at = ? WHERE id = ?",
                (json.dumps(list(merged)), iso(now), target.id),
            )
            await conn.execute(
                "UPDATE subscriptions SET active = 0, updated_at = ? WHERE id = ?",
                (iso(now), old.id),
            )
        return True

    async def scheduled(self, channel: ChannelRef | None = None) -> list[Scheduled]:
        """Every active subscription (or one channel's) with its latest ledger row."""
        rows = await self.db.fetchall(
            """SELECT s.*, d.period AS last_period, d.status AS last_status,
                      (SELECT until_at FROM deliveries
                        WHERE subscription_id = s.id AND status IN ('sent', 'empty')
                        ORDER BY period DESC LIMIT 1) AS last_until
               FROM subscriptions s
               LEFT JOIN deliveries d ON d.id = (
                   SELECT id FROM deliveries WHERE subscription_id = s.id
                   ORDER BY period DESC LIMIT 1)
               WHERE s.active = 1 AND (? IS NULL OR s.channel = ?) ORDER BY s.id""",
            (str(channel) if channel else None,) * 2,
        )
        return [
            Scheduled(
                subscription=_subscription(row),
                active_since=_time(row["active_since"] or row["created_at"]),
                last_period=row["last_period"],
                last_status=row["last_status"],
                last_until=_time(row["last_until"]) if row["last_until"] else None,
            )
            for row in rows
        ]

    async def count_active(self) -> int:
        """How many subscriptions are active."""
        row = await self.db.fetchone("SELECT count(*) FROM subscriptions WHERE active = 1")
        return int(row[0])


class DeliveryRepo:
    """The delivery ledger (SQLite): one row per subscription and period, leased to its claimer."""

    def __init__(self, db: Database, owner: str | None = None, lease: timedelta = LEASE) -> None:
        self.db = db
        self.owner = owner or process_owner()
        self.lease = lease
        self._renewed: datetime | None = None

    async def claim(self, claims: Iterable[Claim], now: datetime) -> list[Delivery]:
        """Write new periods as pending and take over pending ones, in one transaction.

        Periods already final (sent, failed, skipped, empty) are left out: that is the
        guarantee a restart relies on. A pending row leased to another process is left
        out too until its lease runs out. Each claimed row counts one more attempt before
        anything is sent, so a crash can repeat a period only a bounded number of times.
        """
        stamp, until = iso(now), iso(now + self.lease)
        wanted = json.dumps(
            [
                [c.subscription_id, c.period, iso(c.due_at), iso(c.since), iso(c.until)]
                for c in claims
            ]
        )
        if wanted == "[]":
            return []
        free = "(claimed_by IS NULL OR claimed_by = ? OR lease_until IS NULL OR lease_until <= ?)"
        async with self.db.write() as conn:  # three statements, however many claims
            await conn.execute(  # a pending row of an earlier period is superseded
                # driven from the claims through UNIQUE(subscription_id, period): a scan
                # of every pending row per claim made a big fan-out's later batches slow
                f"""UPDATE deliveries SET status = 'skipped', error = 'superseded',
                                         updated_at = ?
                   WHERE status = 'pending' AND {free} AND id IN (
                       SELECT d.id FROM json_each(?) j JOIN deliveries d
                         ON d.subscription_id = json_extract(j.value, '$[0]')
                        AND d.period < json_extract(j.value, '$[1]'))""",
                (stamp, self.owner, stamp, wanted),
            )
            await conn.execute(
                """INSERT INTO deliveries(subscription_id, period, due_at, status, since,
                                          until_at, created_at, updated_at)
                   SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
                          json_extract(value, '$[2]'), 'pending', json_extract(value, '$[3]'),
                          json_extract(value, '$[4]'), ?, ?
                   FROM json_each(?) WHERE true
                   ON CONFLICT(subscription_id, period) DO NOTHING""",
                (stamp, stamp, wanted),
            )
            cur = await conn.execute(
                f"""UPDATE deliveries SET attempts = attempts + 1, updated_at = ?,
                                         claimed_by = ?, lease_until = ?
                   WHERE status = 'pending' AND {free} AND id IN (
                       SELECT d.id FROM json_each(?) j JOIN deliveries d
                         ON d.subscription_id = json_extract(j.value, '$[0]')
                        AND d.period = json_extract(j.value, '$[1]'))
                   RETURNING *""",
                (stamp, self.owner, until, self.owner, stamp, wanted),
            )
            rows = await cur.fetchall()
        self._renewed = now
        return sorted((_delivery(r) for r in rows), key=lambda d: d.id)

    async def renew(self, now: datetime, force: bool = False) -> int:
        """Extend this process's leases (at most every LEASE / 4 unless forced); rows renewed."""
        if not force and self._renewed is not None and now - self._renewed < self.lease / 4:
            return 0
        self._renewed = now
        return await self.db.execute(
            "UPDATE deliveries SET lease_until = ? WHERE claimed_by = ? AND status = 'pending'",
            (iso(now + self.lease), self.owner),
        )

    async def release(self) -> int:
        """Give up this process's pending rows at once (a clean stop), so any may take them."""
        return await self.db.execute(
            "UPDATE deliveries SET lease_until = NULL, claimed_by = NULL"
            " WHERE claimed_by = ? AND status = 'pending'",
            (self.owner,),
        )

    async def finish(
        self,
        delivery_id: int,
        status: str,
        now: datetime,
        items: int = 0,
        error: str | None = None,
    ) -> None:
        """Record the outcome of a pending row."""
        assert status in FINAL, status
        await self.db.execute(
            "UPDATE deliveries SET status = ?, items = ?, error = ?, updated_at = ?"
            " WHERE id = ? AND status = 'pending'",
            (status, items, error, iso(now), delivery_id),
        )
        await self.renew(now)  # progress: the rest of this process's claims stay leased

    async def retrying(self, delivery_id: int, error: str, now: datetime) -> None:
        """A transient failure: one more attempt is about to be made."""
        await self.db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, error = ?, updated_at = ?"
            " WHERE id = ? AND status = 'pending'",
            (error, iso(now), delivery_id),
        )
        await self.renew(now)

    async def record(
        self,
        subscription_id: int,
        period: str,
        due_at: datetime,
        status: str,
        now: datetime,
        error: str | None = None,
    ) -> bool:
        """A period decided without sending (skipped as too old); False if it had a row."""
        stamp = iso(now)
        changed = await self.db.execute(
            """INSERT INTO deliveries(subscription_id, period, due_at, status, error,
                                      created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(subscription_id, period) DO UPDATE SET
                 status = excluded.status, error = excluded.error,
                 updated_at = excluded.updated_at
               WHERE deliveries.status = 'pending'""",
            (subscription_id, period, iso(due_at), status, error, stamp, stamp),
        )
        return changed > 0

    async def last_until(self, subscription_id: int) -> datetime | None:
        """Where the subscription's last delivered digest ended (None: never delivered)."""
        row = await self.db.fetchmaybe(
            "SELECT until_at FROM deliveries WHERE subscription_id = ?"
            " AND status IN ('sent', 'empty') ORDER BY period DESC LIMIT 1",
            (subscription_id,),
        )
        return _time(row[0]) if row and row[0] else None

    async def for_subscription(self, subscription_id: int) -> list[Delivery]:
        """Every ledger row of one subscription, by period."""
        rows = await self.db.fetchall(
            "SELECT * FROM deliveries WHERE subscription_id = ? ORDER BY period",
            (subscription_id,),
        )
        return [_delivery(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        """Rows per status, for `stats`."""
        rows = await self.db.fetchall("SELECT status, count(*) FROM deliveries GROUP BY status")
        return {row[0]: int(row[1]) for row in rows}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _subscription(row: Any) -> Subscription:
    platform, _, ident = str(row["channel"]).partition(":")
    return Subscription(
        id=row["id"],
        channel=ChannelRef(platform, ident),
        categories=tuple(json.loads(row["categories"])),
        time=row["time"],
        timezone=row["timezone"],
        active=bool(row["active"]),
        created_at=_time(row["created_at"]),
    )


def _delivery(row: Any) -> Delivery:
    due = _time(row["due_at"])
    return Delivery(
        id=row["id"],
        subscription_id=row["subscription_id"],
        period=row["period"],
        due_at=due,
        status=row["status"],
        attempts=row["attempts"],
        since=_time(row["since"]) if row["since"] else due,
        until=_time(row["until_at"]) if row["until_at"] else due,
    )
