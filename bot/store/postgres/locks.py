"""Single flight across processes on PostgreSQL: a session advisory lock per URL.

The lock lives on a connection of its own, outside the pool, for as long as the
generation runs: a pooled connection would be handed back (and the lock with it) or
held from other work for seconds. A dead process's connection closes and its locks go.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg import AsyncConnection

from bot.store.locks import url_key

# The two-int advisory key space does not overlap the one-bigint space of the migration
# lock; the first int says "generating", the second is the URL's hash.
GENERATING = 0x70726901


class PgLocks:
    """`generating(url)`: held by one session on the database at a time per URL."""

    def __init__(self, url: str) -> None:
        self.url = url

    @asynccontextmanager
    async def generating(self, canonical_url: str) -> AsyncIterator[None]:
        """Wait until no other process generates `canonical_url`, then hold it."""
        key = int.from_bytes(url_key(canonical_url)[:4], "big", signed=True)
        conn = await AsyncConnection.connect(self.url, autocommit=True)
        try:
            await conn.execute("SELECT pg_advisory_lock(%s, %s)", (GENERATING, key))
            yield
        finally:
            await conn.close()  # closing the session releases its advisory locks
