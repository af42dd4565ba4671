"""One aiosqlite connection in WAL mode, numbered migrations, serialized transactions."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import StorageUnavailable
from bot.logs import event

log = logging.getLogger("prism.store")

_MIGRATION = re.compile(r"^(\d{3})_[\w-]+\.sql$")


class WriteTurn:
    """A lock whose urgent waiters go before the others, each queue first come first served.

    Writes on the one connection take turns; a fan-out keeps dozens of ledger writes
    queued, and a time-critical write (a block of send slots, needed before the slots
    go by) should wait for the transaction in progress only, not for the whole queue.
    """

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def hold(self, urgent: bool = False) -> AsyncIterator[None]:
        """Wait for the turn (ahead of the other writes when `urgent`), hold it for the block."""
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._held and not self._urgent and not self._others:
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._others
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed over just as it was cancelled: pass it on
            else:
                queue.remove(turn)
            raise

    def _release(self) -> None:
        """Hand the turn to the next waiter (it stays held), or free it."""
        for queue in (self._urgent, self._others):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)
                    return
        self._held = False


class Database:
    """The connection plus a write turn.

    One connection serves the whole process (aiosqlite runs it on its own thread);
    the turn keeps coroutines from interleaving statements inside a transaction.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._write = WriteTurn()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Connect, set the pragmas, apply pending migrations; a file that cannot be
        opened is one StorageUnavailable naming it, with the connection closed."""
        path = str(path)
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _unavailable(path, exc) from exc
        try:
            return await cls._prepare(conn, path)
        except (OSError, sqlite3.Error) as exc:
            await conn.close()  # else its worker thread keeps the process alive
            raise _unavailable(path, exc) from exc
        except BaseException:
            await conn.close()
            raise

    @classmethod
    async def _prepare(cls, conn: aiosqlite.Connection, path: str) -> Database:
        """The pragmas and migrations on a fresh connection."""
        conn.row_factory = aiosqlite.Row
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 5000",
            "PRAGMA temp_store = MEMORY",
        ):
            await conn.execute(pragma)
        db = cls(conn, path)
        await db.migrate()
        return db

    async def close(self) -> None:
        """Close the connection once no write is in progress."""
        async with self._write.hold():
            await self.conn.close()

    async def migrate(self) -> list[int]:
        """Apply every numbered migration newer than the schema's user_version."""
        current = await self.user_version()
        pending = [(n, sql) for n, sql in _migrations() if n > current]
        if not pending:
            return []
        # SQLite's way to rebuild a table (009 does): foreign keys off, so dropping the
        # old table cascades nowhere; checked before each commit, back on after.
        await self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for number, sql in pending:
                await self._apply(number, sql)
        finally:
            await self.conn.execute("PRAGMA foreign_keys = ON")
        return [n for n, _ in pending]

    async def _apply(self, number: int, sql: str) -> None:
        """One migration in one transaction, refused if it leaves a dangling reference."""
        async with self.transaction() as conn:
            await conn.executescript(f"BEGIN IMMEDIATE;\n{sql}")
            broken = await conn.execute_fetchall("PRAGMA foreign_key_check")
            if list(broken):
                raise RuntimeError(f"migration {number:03d} broke a foreign key")
            await conn.execute(f"PRAGMA user_version = {number}")
        event(log, "migration", version=number)

    async def user_version(self) -> int:
        """The number of the newest migration applied."""
        return int((await self.fetchone("PRAGMA user_version"))[0])

    @asynccontextmanager
    async def transaction(self, urgent: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: all of it is stored, or none of it; an `urgent` one waits
        for the transaction in progress only."""
        async with self._write.hold(urgent):
            try:
                yield self.conn
                if self.conn.in_transaction:
                    await self.conn.commit()
            except BaseException:
                if self.conn.in_transaction:
                    await self.conn.rollback()
                raise

    @asynccontextmanager
    async def write(self, urgent: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT around the block, rolled back on any error."""
        async with self.transaction(urgent) as conn:
            await conn.execute("BEGIN IMMEDIATE")
            yield conn

    # Reads take one trip to the connection's thread (execute_fetchall), not three:
    # the cache-hit path is dominated by these hops.

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row:
        """The first row of a query that always returns one."""
        row = await self.fetchmaybe(sql, params)
        assert row is not None, sql
        return row

    async def fetchmaybe(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """The first row, or None."""
        rows = await self.conn.execute_fetchall(sql, tuple(params))
        return next(iter(rows), None)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Every row."""
        return list(await self.conn.execute_fetchall(sql, tuple(params)))

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One write statement in its own transaction; returns the rows changed."""
        async with self.transaction() as conn:
            cur = await conn.execute(sql, tuple(params))
            return cur.rowcount


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    numbers = [n for n, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError("two migrations share a number")
    return sorted(found)


def _unavailable(path: str, exc: BaseException) -> StorageUnavailable:
    """One line for a store that cannot be opened: the key, the path, the reason."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    return StorageUnavailable(f"[storage] path {path}: cannot open it: {reason}{where}")
