"""Subscriptions and the delivery ledger on PostgreSQL.

Claims take rows with `FOR UPDATE SKIP LOCKED` and lease them to this process: several
processes claiming at once each get a disjoint share, and a lease left by a dead process
runs out and is taken over (bot/store/subscriptions.py says why the ledger exists).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from bot.models import ChannelRef, Subscription
from bot.store.postgres.db import PgDatabase
from bot.store.subscriptions import (
    FINAL,
    LEASE,
    Claim,
    Delivery,
    Scheduled,
    process_owner,
)

_FREE = (
    "(d.claimed_by IS NULL OR d.claimed_by = %(owner)s"
    " OR d.lease_until IS NULL OR d.lease_until <= %(now)s)"
)


class PgSubscriptionRepo:
    """The SubscriptionRepo contract on PostgreSQL."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def get(self, channel: ChannelRef) -> Subscription | None:
        """The channel's subscription, active or not."""
        row = await self.db.fetchmaybe(
            "SELECT * FROM subscriptions WHERE channel = %s", (str(channel),)
        )
        return _subscription(row) if row else None

    async def by_id(self, subscription_id: int) -> Subscription | None:
        """A subscription by id (the ledger names subscriptions by id)."""
        row = await self.db.fetchmaybe(
            "SELECT * FROM subscriptions WHERE id = %s", (subscription_id,)
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
        stamp = _second(now)
        await self.db.execute(
            """INSERT INTO subscriptions(channel, categories, time, timezone, active,
                                         created_at, updated_at, active_since)
               VALUES (%(channel)s, %(categories)s, %(time)s, %(zone)s, true,
                       %(now)s, %(now)s, %(now)s)
               ON CONFLICT (channel) DO UPDATE SET
                 categories = excluded.categories, time = excluded.time,
                 timezone = excluded.timezone, active = true,
                 updated_at = excluded.updated_at,
                 active_since = CASE WHEN %(restart)s THEN excluded.active_since
                                     ELSE subscriptions.active_since END""",
            {
                "channel": str(channel),
                "categories": Jsonb(list(categories)),
                "time": time,
                "zone": timezone,
                "now": stamp,
                "restart": restart,
            },
        )
        saved = await self.get(channel)
        assert saved is not None
        return saved

    async def set_categories(
        self, channel: ChannelRef, categories: tuple[str, ...], now: datetime
    ) -> None:
        """Keep these categories; none left means the channel is unsubscribed."""
        await self.db.execute(
            "UPDATE subscriptions SET categories = %s, active = %s, updated_at = %s"
            " WHERE channel = %s",
            (Jsonb(list(categories)), bool(categories), _second(now), str(channel)),
        )

    async def deactivate(self, channel: ChannelRef, now: datetime) -> bool:
        """Unsubscribe the channel; False if it had no active subscription."""
        changed = await self.db.execute(
            "UPDATE subscriptions SET active = false, updated_at = %s"
            " WHERE channel = %s AND active",
            (_second(now), str(channel)),
        )
        return changed > 0

    async def move(self, channel: ChannelRef, new: ChannelRef, now: datetime) -> bool:
        """Point the subscription at the channel's new id, merging if one exists there."""
        old = await self.get(channel)
        if old is None:
            return False
        target = await self.get(new)
        stamp = _second(now)
        async with self.db.transaction() as conn:
            if target is None:
                await conn.execute(
                    "UPDATE subscriptions SET channel = %s, updated_at = %s WHERE id = %s",
                    (str(new), stamp, old.id),
                )
                return True
            merged = list(dict.fromkeys(target.categories + old.categories))
            await conn.execute(
                "UPDATE subscriptions SET categories = %s, active = true, updated_at = %s"
                " WHERE id = %s",
                (Jsonb(merged), stamp, target.id),
            )
            await conn.execute(
                "UPDATE subscriptions SET active = false, updated_at = %s WHERE id = %s",
                (stamp, old.id),
            )
        return True

    async def scheduled(self, channel: ChannelRef | None = None) -> list[Scheduled]:
        """Every active subscription (or one channel's) with its latest ledger row."""
        name = str(channel) if channel else None
        rows = await self.db.fetchall(
            """SELECT s.*, d.period AS last_period, d.status AS last_status,
                      (SELECT until_at FROM deliveries
                        WHERE subscription_id = s.id AND status IN ('sent', 'empty')
                        ORDER BY period DESC LIMIT 1) AS last_until
               FROM subscriptions s
               LEFT JOIN LATERAL (
                   SELECT period, status FROM deliveries WHERE subscription_id = s.id
                   ORDER BY period DESC LIMIT 1) d ON true
               WHERE s.active AND (%s::text IS NULL OR s.channel = %s) ORDER BY s.id""",
            (name, name),
        )
        return [
            Scheduled(
                subscription=_subscription(row),
                active_since=row["active_since"] or row["created_at"],
                last_period=row["last_period"],
                last_status=row["last_status"],
                last_until=row["last_until"],
            )
            for row in rows
        ]

    async def count_active(self) -> int:
        """How many channels are subscribed (stats)."""
        row = await self.db.fetchone("SELECT count(*) AS n FROM subscriptions WHERE active")
        return int(row["n"])


class PgDeliveryRepo:
    """The DeliveryRepo contract on PostgreSQL, with the same lease as on SQLite."""

    def __init__(self, db: PgDatabase, owner: str | None = None, lease: timedelta = LEASE) -> None:
        self.db = db
        self.owner = owner or process_owner()
        self.lease = lease
        self._renewed: datetime | None = None

    async def claim(self, claims: Iterable[Claim], now: datetime) -> list[Delivery]:
        """Write new periods as pending and take over free pending ones, in one transaction.

        Final periods are never returned; pending ones leased to a live process, or
        being claimed by one right now (SKIP LOCKED), are left to it.
        """
        wanted = list(claims)
        if not wanted:
            return []
        params = {
            "owner": self.owner,
            "now": _second(now),
            "until": _second(now + self.lease),
            "sids": [c.subscription_id for c in wanted],
            "periods": [c.period for c in wanted],
            "dues": [_second(c.due_at) for c in wanted],
            "sinces": [_second(c.since) for c in wanted],
            "untils": [_second(c.until) for c in wanted],
        }
        async with self.db.transaction() as conn:
            await conn.execute(_SUPERSEDE, params)
            await conn.execute(_INSERT, params)
            cur = await conn.execute(_TAKE, params)
            rows = await cur.fetchall()
        self._renewed = now
        return sorted((_delivery(r) for r in rows), key=lambda d: d.id)

    async def renew(self, now: datetime, force: bool = False) -> int:
        """Extend this process's leases (at most every LEASE / 4 unless forced); rows renewed."""
        if not force and self._renewed is not None and now - self._renewed < self.lease / 4:
            return 0
        self._renewed = now
        return await self.db.execute(
            "UPDATE deliveries SET lease_until = %s WHERE claimed_by = %s AND status = 'pending'",
            (_second(now + self.lease), self.owner),
            repeatable=True,
        )

    async def release(self) -> int:
        """Give up this process's pending rows at once (a clean stop), so any may take them."""
        return await self.db.execute(
            "UPDATE deliveries SET lease_until = NULL, claimed_by = NULL"
            " WHERE claimed_by = %s AND status = 'pending'",
            (self.owner,),
            repeatable=True,
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
            "UPDATE deliveries SET status = %s, items = %s, error = %s, updated_at = %s"
            " WHERE id = %s AND status = 'pending'",
            (status, items, error, _second(now), delivery_id),
            repeatable=True,
        )
        await self.renew(now)

    async def retrying(self, delivery_id: int, error: str, now: datetime) -> None:
        """A transient failure: one more attempt is about to be made."""
        await self.db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, error = %s, updated_at = %s"
            " WHERE id = %s AND status = 'pending'",
            (error, _second(now), delivery_id),
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
        changed = await self.db.execute(
            """INSERT INTO deliveries(subscription_id, period, due_at, status, error,
                                      created_at, updated_at)
               VALUES (%(sid)s, %(period)s, %(due)s, %(status)s, %(error)s, %(now)s, %(now)s)
               ON CONFLICT (subscription_id, period) DO UPDATE SET
                 status = excluded.status, error = excluded.error,
                 updated_at = excluded.updated_at
               WHERE deliveries.status = 'pending'""",
            {
                "sid": subscription_id,
                "period": period,
                "due": _second(due_at),
                "status": status,
                "error": error,
                "now": _second(now),
            },
        )
        return changed > 0

    async def last_until(self, subscription_id: int) -> datetime | None:
        """Where the subscription's last delivered digest ended (None: never delivered)."""
        row = await self.db.fetchmaybe(
            "SELECT until_at FROM deliveries WHERE subscription_id = %s"
            " AND status IN ('sent', 'empty') ORDER BY period DESC LIMIT 1",
            (subscription_id,),
        )
        return row["until_at"] if row else None

    async def for_subscription(self, subscription_id: int) -> list[Delivery]:
        """A subscription's ledger rows by period (tests and diagnostics)."""
        rows = await self.db.fetchall(
            "SELECT * FROM deliveries WHERE subscription_id = %s ORDER BY period",
            (subscription_id,),
        )
        return [_delivery(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        """Rows per status, for `stats`."""
        rows = await self.db.fetchall(
            "SELECT status, count(*) AS n FROM deliveries GROUP BY status"
        )
        return {str(row["status"]): int(row["n"]) for row in rows}


_WANTED = "unnest(%(sids)s::bigint[], %(periods)s::text[]) AS w(sid, period)"

# A pending row of an earlier period is superseded (unless another process holds it).
_SUPERSEDE = f"""
UPDATE deliveries d SET status = 'skipped', error = 'superseded', updated_at = %(now)s
WHERE d.status = 'pending' AND {_FREE}
  AND EXISTS (SELECT 1 FROM {_WANTED} WHERE w.sid = d.subscription_id AND w.period > d.period)
"""

_INSERT = """
INSERT INTO deliveries(subscription_id, period, due_at, status, since, until_at,
                       created_at, updated_at)
SELECT sid, period, due, 'pending', since, until_at, %(now)s, %(now)s
FROM unnest(%(sids)s::bigint[], %(periods)s::text[], %(dues)s::timestamptz[],
            %(sinces)s::timestamptz[], %(untils)s::timestamptz[])
     AS w(sid, period, due, since, until_at)
ON CONFLICT (subscription_id, period) DO NOTHING
"""

_TAKE = f"""
WITH free AS (
    SELECT d.id FROM deliveries d JOIN {_WANTED}
      ON d.subscription_id = w.sid AND d.period = w.period
    WHERE d.status = 'pending' AND {_FREE}
    FOR UPDATE OF d SKIP LOCKED)
UPDATE deliveries SET attempts = attempts + 1, updated_at = %(now)s,
                      claimed_by = %(owner)s, lease_until = %(until)s
FROM free WHERE deliveries.id = free.id
RETURNING deliveries.*
"""


def _second(moment: datetime) -> datetime:
    """Whole seconds, as SQLite's ISO text keeps them."""
    return moment.replace(microsecond=0)


def _subscription(row: Any) -> Subscription:
    platform, _, ident = str(row["channel"]).partition(":")
    return Subscription(
        id=int(row["id"]),
        channel=ChannelRef(platform, ident),
        categories=tuple(row["categories"]),
        time=row["time"],
        timezone=row["timezone"],
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


def _delivery(row: Any) -> Delivery:
    due: datetime = row["due_at"]
    return Delivery(
        id=int(row["id"]),
        subscription_id=int(row["subscription_id"]),
        period=row["period"],
        due_at=due,
        status=row["status"],
        attempts=row["attempts"],
        since=row["since"] or due,
        until=row["until_at"] or due,
    )
