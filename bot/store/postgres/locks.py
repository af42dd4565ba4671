"""Single flight across processes on PostgreSQL: a session advisory lock per URL.

The lock lives on a session of its own, outside the store's pool, for as long as the
generation runs: a store connection would be held from other work for seconds. Lock
sessions are kept for the next generation (a new session is a server process forked
and authenticated: about 8 ms of the server's CPU, more than the rest of a cached
link's queries together); a session is handed back holding no lock, and a dead
process's sessions close and their locks go.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from bot.store.locks import url_key

# The two-int advisory key space does not overlap the one-bigint space of the migration
# lock; the first int says "generating", the second is the URL's hash.
GENERATING = 0x70726901
# Lock sessions one process keeps at most: generations at once (fetches are capped at
# 16 per process). Past it a generation waits for a session as it would for the lock.
SESSIONS = 32
WAIT_S = 3600.0  # waiting for a session is waiting for generations: theirs are bounded


class PgLocks:
    """`generating(url)`: held by one session on the database at a time per URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        # Opened at the first generation (most processes never lock); open() is a no-op
        # on an open pool, and a closed one is not reopened.
        self._sessions: AsyncConnectionPool[AsyncConnection] = AsyncConnectionPool(
            url,
            min_size=0,
            max_size=SESSIONS,
            open=False,
            timeout=WAIT_S,
            kwargs={"autocommit": True},
            name="prism-locks",
        )

    @asynccontextmanager
    async def generating(self, canonical_url: str) -> AsyncIterator[None]:
        """Wait until no other process generates `canonical_url`, then hold it."""
        key = int.from_bytes(url_key(canonical_url)[:4], "big", signed=True)
        await self._sessions.open()
        async with self._sessions.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(%s, %s)", (GENERATING, key))
            try:
                yield
            finally:
                # Handed back holding nothing. Not the pool's reset: that runs in the
                # background, after the caller has gone on, and the waiter waits longer.
                # Interrupted here, the session is not idle, so the pool closes it.
                await conn.execute("SELECT pg_advisory_unlock_all()")

    async def close(self) -> None:
        """Close the kept lock sessions (at shutdown)."""
        await self._sessions.close()
