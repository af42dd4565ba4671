"""Test-wide guards: no secrets from the environment, loopback-only sockets."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config, build_config
from bot.core import Core
from bot.store import Store, StoreContract, open_store

pytest_plugins = ["tests.support.site", "tests.support.postgres"]

_SECRETS = ("ANTHROPIC_API_KEY", "TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN")


def pytest_configure(config: pytest.Config) -> None:
    """Scrub credentials and PRISM_* overrides before any test module is imported."""
    for name in list(os.environ):
        if name.startswith("PRISM_") or name in _SECRETS:
            del os.environ[name]
    # what bot.app.opt_in_ptb_timedelta does for a real process, for tests that build
    # the Telegram adapter directly
    os.environ.setdefault("PTB_TIMEDELTA", "true")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Embedded defaults, a temporary database, loopback allowed for the local site."""
    return build_config(
        {
            "storage": {"path": str(tmp_path / "prism.db")},
            "fetch": {"allow_networks": ["127.0.0.0/8"], "timeout_s": 5.0},
        },
        env={},
        source="tests",
    )


@pytest.fixture
async def store(config: Config) -> AsyncIterator[Store]:
    store = await Store.open(config.storage.path)
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend_config(request: pytest.FixtureRequest, config: Config) -> Config:
    """The test config on SQLite, then on a fresh PostgreSQL schema (skipped without one)."""
    if request.param == "sqlite":
        return config
    return config.with_overrides(storage={"url": request.getfixturevalue("pg_url")})


@pytest.fixture
async def any_store(backend_config: Config) -> AsyncIterator[StoreContract]:
    """A fresh store of each backend, through open_store as the bot opens it."""
    store = await open_store(backend_config)
    yield store
    await store.close()


@pytest.fixture
async def any_core(backend_config: Config) -> AsyncIterator[Core]:
    """The real core on each backend: offline analyser, real fetcher and extractor."""
    core = await Core.open(backend_config)
    yield core
    await core.aclose()


@pytest.fixture
async def core(config: Config) -> AsyncIterator[Core]:
    """The real core on the test config: offline analyser, real fetcher and extractor."""
    core = await Core.open(config)
    yield core
    await core.aclose()
