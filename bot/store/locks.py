"""Single flight across processes on SQLite: one lock file per canonical URL being
generated, beside the database, held with flock.

SQLite serves processes on one machine, and flock is what they share: the kernel drops
a dead process's lock at once (no expiry to wait out), and waiting never writes to the
database. A file is removed by its holder; a waiter that locked the removed file
(same path, other inode) notices and tries again.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

POLL_S = 0.02  # a waiter's look again interval: generations take seconds


def url_key(url: str) -> bytes:
    """Eight bytes that stand for a URL in a lock's name or number."""
    return hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest()


class FileLocks:
    """`generating(url)`: held by one process (and one task) at a time per URL."""

    def __init__(self, database: str | Path) -> None:
        self.folder = None if str(database) == ":memory:" else Path(f"{database}-locks")

    @asynccontextmanager
    async def generating(self, canonical_url: str) -> AsyncIterator[None]:
        """Wait until no other process generates `canonical_url`, then hold it."""
        if self.folder is None:  # an in-memory database has one process by definition
            yield
            return
        await asyncio.to_thread(self.folder.mkdir, exist_ok=True)
        path = self.folder / f"{url_key(canonical_url).hex()}.lock"
        fd = await _acquire(path)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)  # before unlocking: waiters then see a new inode
            os.close(fd)


async def _acquire(path: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            await asyncio.sleep(POLL_S)
            continue
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            return fd
        os.close(fd)  # the holder removed it meanwhile: lock the new one


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False
