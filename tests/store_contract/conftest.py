"""One fixture, every backend: each test in this folder runs once per store backend.

A backend is one factory below and one name in BACKENDS; PostgreSQL tests are skipped
(saying why) without a server, and fail instead under REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.store import Store, StoreContract

Factory = Callable[[pytest.FixtureRequest, Path], Awaitable[StoreContract]]


async def _sqlite(tmp_path: Path) -> StoreContract:
    return await Store.open(tmp_path / "contract.db")


async def _postgres(request: pytest.FixtureRequest) -> StoreContract:
    from bot.store.postgres.store import PgStore

    # a fresh schema of the test server (skipped, saying why, when none answers)
    return await PgStore.open(request.getfixturevalue("pg_url"))


FACTORIES: dict[str, Factory] = {
    "sqlite": lambda request, tmp_path: _sqlite(tmp_path),
    "postgres": lambda request, tmp_path: _postgres(request),
}
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreContract]:
    """A fresh, migrated, empty store of each backend."""
    store = await FACTORIES[request.param](request, tmp_path)
    try:
        yield store
    finally:
        await store.close()
