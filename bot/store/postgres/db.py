"""A psycopg 3 connection pool, numbered migrations applied under an advisory lock."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from bot.errors import StoreUnavailable
from bot.logs import event
from bot.store.postgres.url import describe, display_url

log = logging.getLogger("prism.store")

_MIGRATION = re.compile(r"^(\d{3})_[\w-]+\.sql$")
# One key for "the schema is being created or upgraded": processes starting at once
# queue on it, and the first one's work is what the others find done.
MIGRATION_LOCK = 0x70726973_6D000001

# After a lost connection: let the pool replace its broken connections, wait this long,
# then run the statement once more (reads, and writes marked repeatable).
RETRY_AFTER_S = 0.2

T = TypeVar("T")
Conn = AsyncConnection[DictRow]
Params = Sequence[Any] | Mapping[str, Any]  # %s or %(name)s placeholders

__all__ = ["Conn", "PgDatabase", "StoreUnavailable"]


class PgDatabase:
    """The pool: every statement borrows a connection (autocommit) or runs in a transaction."""

    def __init__(self, pool: AsyncConnectionPool[Conn], url: str) -> None:
        self.pool = pool
        self.url = url
        self._lost = False  # an outage is reported once, when it starts

    @classmethod
    async def open(cls, url: str, max_size: int = 10, timeout_s: float = 10.0) -> PgDatabase:
        """Connect, then create or upgrade the schema; StoreUnavailable if nothing answers."""
        await _probe(url, timeout_s)
        _quiet_pool_discards()
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            timeout=timeout_s,
            connection_class=AsyncConnection[DictRow],
            kwargs={"autocommit": True, "row_factory": dict_row},
            configure=_configure,
            name="prism",
        )
        try:
            await pool.open(wait=True, timeout=timeout_s)
        except Exception:
            await pool.close()
            raise
        db = cls(pool, url)
        try:
            await db.migrate()
        except Exception:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Close every pooled connection (at shutdown)."""
        await self.pool.close()

    def __repr__(self) -> str:
        return f"PgDatabase({display_url(self.url)!r})"

    async def version(self) -> int:
        """The schema version: the newest migration applied (0 on an empty database)."""
        async with self.pool.connection() as conn:
            return await _version(conn)

    async def migrate(self) -> list[int]:
        """Apply every numbered migration newer than the schema version, under the lock."""
        applied: list[int] = []
        async with self.pool.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version integer PRIMARY KEY,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
                current = await _version(conn)
                for number, sql in _migrations():
                    if number <= current:
                        continue
                    async with conn.transaction():
                        await conn.execute(sql)  # several statements, no parameters
                        await conn.execute(
                            "INSERT INTO schema_version(version) VALUES (%s)", (number,)
                        )
                    applied.append(number)
                    event(log, "migration", version=number, backend="postgresql")
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """One connection inside BEGIN … COMMIT, rolled back on any error."""
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    async def fetchone(self, sql: str, params: Params = ()) -> DictRow:
        """The first row of a query that always returns one."""
        row = await self.fetchmaybe(sql, params)
        assert row is not None, sql
        return row

    async def fetchmaybe(self, sql: str, params: Params = ()) -> DictRow | None:
        """The first row, or None (retried once if the connection was lost)."""

        async def once() -> DictRow | None:
            async with self.pool.connection() as conn:
                cur = await conn.execute(sql, params)
                return await cur.fetchone()

        return await self.retrying(once)

    async def fetchall(self, sql: str, params: Params = ()) -> list[DictRow]:
        """Every row of a read (retried once if the connection was lost)."""

        async def once() -> list[DictRow]:
            async with self.pool.connection() as conn:
                cur = await conn.execute(sql, params)
                return await cur.fetchall()

        return await self.retrying(once)

    async def execute(self, sql: str, params: Params = (), *, repeatable: bool = False) -> int:
        """One write statement (autocommit); returns the rows changed.

        `repeatable`: running it twice changes nothing more than once (an upsert, a
        status set where it is still pending), so it is retried after a lost connection
        whose commit may or may not have happened.
        """

        async def once() -> int:
            async with self.pool.connection() as conn:
                cur = await conn.execute(sql, params)
                return cur.rowcount

        return await (self.retrying(once) if repeatable else once())

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement per row, in one transaction."""
        async with self.transaction() as conn, conn.cursor() as cur:
            await cur.executemany(sql, list(rows))

    async def retrying(self, once: Callable[[], Awaitable[T]]) -> T:
        """`once()`, and once more if the server dropped the connection under it.

        The first failure of an outage is logged, in one line; the pool is told to
        replace its broken connections before the second try.
        """
        try:
            result = await once()
        except psycopg.OperationalError as exc:
            if not self._lost:
                self._lost = True
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                event(log, "store_connection_lost", logging.WARNING, store=describe(self.url),
                      error=reason, retry_after_s=RETRY_AFTER_S)  # fmt: skip
            await self.pool.check()
            await asyncio.sleep(RETRY_AFTER_S)
            result = await once()
        self._lost = False
        return result


class _PoolDiscards(logging.Filter):
    """Drops the pool's per-connection "discarding closed connection" warnings: an
    outage is reported once by PgDatabase.retrying, not once per pooled connection."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("discarding closed", "discarding broken"))


def _quiet_pool_discards() -> None:
    pool_log = logging.getLogger("psycopg.pool")
    if not any(isinstance(f, _PoolDiscards) for f in pool_log.filters):
        pool_log.addFilter(_PoolDiscards())


async def _probe(url: str, timeout_s: float) -> None:
    # One plain connection first: the pool would retry quietly until its timeout and
    # then say only that it is incomplete; this says which server and why, at once.
    try:
        conn = await AsyncConnection.connect(url, connect_timeout=max(1, int(timeout_s)))
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailable(f"cannot connect to {describe(url)}: {reason}") from None
    await conn.close()


async def _version(conn: Conn) -> int:
    cur = await conn.execute("SELECT coalesce(max(version), 0) AS v FROM schema_version")
    row = await cur.fetchone()
    return int(row["v"]) if row else 0


async def _configure(conn: Conn) -> None:
    # Timestamps come back as UTC, as the SQLite store returns them.
    await conn.execute("SET TIME ZONE 'UTC'")


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("bot.store.postgres") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    numbers = [n for n, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError("two migrations share a number")
    return sorted(found)
