"""A PostgreSQL connection lost mid-run: the statement is retried once the pool has
replaced its connections, the delivery outcome is recorded, and the outage is logged
once, in one line. The server drops the connections (pg_terminate_backend)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bot.models import ChannelRef
from bot.store.contract import Claim
from bot.store.postgres.store import PgStore

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture
def app_name() -> str:
    """A name only this test's connections carry, so only they are terminated."""
    return f"prism_outage_{secrets.token_hex(4)}"


@pytest.fixture
async def store(pg_url: str, app_name: str) -> AsyncIterator[PgStore]:
    opened = await PgStore.open(f"{pg_url}&application_name={app_name}")
    yield opened
    await opened.close()


def _terminate(pg_server: str, app_name: str) -> int:
    with psycopg.connect(pg_server, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (app_name,),
        ).fetchall()
    return len(rows)


async def test_a_finished_delivery_is_recorded_across_a_lost_connection(
    store: PgStore, pg_server: str, app_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    sub = await store.subscriptions.save(
        ChannelRef("telegram", "1"), ("Economy",), "08:00", "UTC", NOW, restart=True
    )
    due = NOW
    [delivery] = await store.deliveries.claim(
        [Claim(sub.id, "2026-11-21", due, due - timedelta(days=1), due)], NOW
    )
    assert _terminate(pg_server, app_name) >= 1  # the platform accepted; then the link broke
    with caplog.at_level(logging.INFO):
        await store.deliveries.finish(delivery.id, "sent", NOW, items=3)
        [row] = await store.deliveries.for_subscription(sub.id)
        assert await store.analyses.count() == 0
    assert (row.status, row.attempts) == ("sent", 1)
    lost = [r for r in caplog.records if "connection" in r.getMessage().lower()]
    assert len(lost) == 1, [r.getMessage() for r in lost]
    assert "store_connection_lost" in lost[0].getMessage()
    assert "\n" not in lost[0].getMessage()


async def test_a_second_outage_is_reported_again_and_reads_recover(
    store: PgStore, pg_server: str, app_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            _terminate(pg_server, app_name)
            assert await store.analyses.count() == 0
    reported = [r for r in caplog.records if "store_connection_lost" in r.getMessage()]
    assert len(reported) == 2


async def test_a_write_that_cannot_be_repeated_is_not_retried(
    store: PgStore, pg_server: str, app_name: str
) -> None:
    await store.usage.record("failure", detail="x")
    _terminate(pg_server, app_name)
    with pytest.raises(psycopg.OperationalError):
        await store.usage.record("failure", detail="y")  # an insert: once or an error
    assert (await store.usage.totals()).failures == 1
