"""One fixture, every backend: each test in this folder runs once per store backend.

Adding PostgreSQL is one factory below and one name in BACKENDS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.store import Store, StoreContract

Factory = Callable[[Path], Awaitable[StoreContract]]


async def _sqlite(tmp_path: Path) -> StoreContract:
    return await Store.open(tmp_path / "contract.db")


FACTORIES: dict[str, Factory] = {"sqlite": _sqlite}
BACKENDS = ["sqlite"]


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreContract]:
    """A fresh, migrated, empty store of each backend."""
    store = await FACTORIES[request.param](tmp_path)
    try:
        yield store
    finally:
        await store.close()
