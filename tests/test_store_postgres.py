"""The store's behaviour on both backends (SQLite and PostgreSQL), the delivery lease
that lets several processes share one ledger, and the `[storage] url` selection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from bot.config import Config, build_config
from bot.digests.service import DigestService
from bot.digests.subscriptions import SubscriptionService
from bot.errors import ConfigError
from bot.logs import RedactFilter
from bot.models import ChannelRef, Generator, Usage
from bot.store import Store, open_store
from bot.store.contract import Generations
from bot.store.locks import url_key
from bot.store.postgres.url import describe, display_url
from bot.store.subscriptions import Claim
from tests.support.digests import Clock, RecordingSender, add_analysis, request, utc
from tests.test_store import article, draft

MIGRATIONS = resources.files("bot.store.postgres") / "migrations"

BACKENDS = ["sqlite", "postgresql"]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _config(request: pytest.FixtureRequest, config: Config) -> Config:
    if request.param == "sqlite":
        return config
    return config.with_overrides(storage={"url": request.getfixturevalue("pg_url")})


@pytest.fixture(params=BACKENDS)
def backend_config(request: pytest.FixtureRequest, config: Config) -> Config:
    """The test config, on SQLite or on a fresh PostgreSQL schema."""
    return _config(request, config)


@pytest.fixture
async def any_store(backend_config: Config) -> AsyncIterator[Any]:
    store = await open_store(backend_config)
    yield store
    await store.close()


@pytest.fixture
async def other_store(backend_config: Config) -> AsyncIterator[Any]:
    """A second handle on the same database: another process, as far as the ledger knows."""
    store = await open_store(backend_config)
    yield store
    await store.close()


# --- analyses ----------------------------------------------------------------------------


async def test_save_then_find_by_every_url(any_store: Any) -> None:
    saved = await any_store.analyses.save(article(), draft(), urls=("https://t.co/x1",))
    for url in (
        "https://news.example/story-1",
        "https://news.example/story-1?utm_source=x",
        "https://t.co/x1",
    ):
        found = await any_store.analyses.by_url(url)
        assert found is not None and found.id == saved.id, url
    assert saved.tags == ("dock workers", "grain")
    assert saved.sections[1].paragraphs == ("Farmers face storage costs.", "Buyers look elsewhere.")
    assert saved.generator.usage == Usage(1, 2, 3, 4)
    assert await any_store.analyses.by_url("https://news.example/none") is None


async def test_refresh_replaces_in_place(any_store: Any) -> None:
    first = await any_store.analyses.save(article(), draft())
    second = await any_store.analyses.save(article(), draft("A new headline"))
    assert second.id == first.id
    assert second.headline == "A new headline"
    assert await any_store.analyses.count() == 1
    assert [a.id for a in await any_store.analyses.search("new headline")] == [first.id]
    assert await any_store.analyses.search("harbour") == []


async def test_add_url_and_the_original_article(any_store: Any) -> None:
    saved = await any_store.analyses.save(article(), draft())
    await any_store.analyses.add_url(saved.article_id, "https://amp.example/1")
    await any_store.analyses.add_url(saved.article_id, "https://amp.example/1")  # once
    found = await any_store.analyses.by_url("https://amp.example/1")
    assert found is not None and found.id == saved.id
    kept = await any_store.analyses.article(saved.article_id)
    assert kept is not None and kept.text.startswith("Some article text.")
    assert await any_store.analyses.article(saved.article_id + 100) is None


async def test_forget_removes_the_analysis_and_its_urls(any_store: Any) -> None:
    saved = await any_store.analyses.save(article(), draft())
    assert await any_store.analyses.forget(saved.id) is True
    assert await any_store.analyses.by_url("https://news.example/story-1") is None
    assert await any_store.analyses.search("harbour") == []
    assert await any_store.analyses.count() == 0
    assert await any_store.analyses.forget(saved.id) is False


async def test_created_between_recent_and_counts(any_store: Any) -> None:
    times = [datetime(2026, 11, d, 9, tzinfo=UTC) for d in (20, 22, 24)]
    for n, moment in enumerate(times, 1):
        await any_store.analyses.save(article(n), draft(f"Story {n}"), created_at=moment)
    await any_store.analyses.save(article(9), draft("Other", "Sports"), created_at=times[2])
    found = await any_store.analyses.created_between(
        ("Economy",), datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
    )
    assert [a.headline for a in found] == ["Story 3", "Story 2"]
    assert found[0].created_at == times[2]
    assert [a.headline for a in await any_store.analyses.recent(2)] == ["Other", "Story 3"]
    assert [a.headline for a in await any_store.analyses.recent(5, "Sports")] == ["Other"]
    assert await any_store.analyses.category_counts() == {"Economy": 3, "Sports": 1}
    assert await any_store.analyses.created_between((), times[0], times[2]) == []
    assert sorted(await any_store.analyses.many([found[0].id, found[1].id, 999])) == sorted(
        a.id for a in found
    )


async def test_search_needs_every_word_and_ranks_headlines_first(any_store: Any) -> None:
    body = await any_store.analyses.save(article(1), draft("Port wages rise"))
    head = await any_store.analyses.save(article(2), draft("Grain farmers wait"))
    await any_store.analyses.save(article(3), draft("Unrelated story", "Sports"))
    # "farmers" is in every body (sections) but only one headline.
    found = await any_store.analyses.search("farmers")
    assert found[0].id == head.id
    assert {a.id for a in found} >= {body.id, head.id}
    assert [a.id for a in await any_store.analyses.search("wages farmers")] == [body.id]
    assert await any_store.analyses.search("wages cricket") == []


@pytest.mark.parametrize("query", ['"', "NEAR(", "a:b*", "' OR 1=1 --", "   ", "&|!()"])
async def test_search_syntax_is_never_syntax(any_store: Any, query: str) -> None:
    await any_store.analyses.save(article(), draft())
    assert await any_store.analyses.search(query) == []


# --- usage --------------------------------------------------------------------------------


async def test_requests_are_counted_in_a_batch_and_totals_add_up(any_store: Any) -> None:
    saved = await any_store.analyses.save(article(), draft())
    for _ in range(3):
        any_store.usage.record_request(saved.id, "u1", "discord:1", "cached")
    gen = Generator("claude", "m", "v1", Usage(10, 20, 5, 7))
    await any_store.usage.record("generation", user="u1", generator=gen, at=T0)
    await any_store.usage.record("generation", user="u2", generator=gen, at=T0 + timedelta(1))
    await any_store.usage.record("failure", user="u1", detail="fetch", at=T0)
    totals = await any_store.usage.totals()  # flushes first
    assert (totals.analyses, totals.requests, totals.generations, totals.failures) == (1, 3, 2, 1)
    assert (totals.input_tokens, totals.output_tokens) == (20, 40)
    assert (totals.cache_creation_tokens, totals.cache_read_tokens) == (10, 14)
    assert totals.by_backend == {"offline": 1}
    refreshed = await any_store.analyses.by_id(saved.id)
    assert refreshed is not None and refreshed.requests == 3
    assert await any_store.usage.generations_since(T0 - timedelta(1)) == Generations(2, T0)
    assert await any_store.usage.generations_since(T0 - timedelta(1), user="u2") == Generations(
        1, T0 + timedelta(1)
    )


# --- subscriptions --------------------------------------------------------------------------


async def test_subscriptions_save_change_move_and_schedule(any_store: Any) -> None:
    subs = any_store.subscriptions
    one, two = ChannelRef("discord", "1"), ChannelRef("discord", "2")
    saved = await subs.save(one, ("Economy", "World"), "08:00", "UTC", T0, restart=True)
    assert saved.categories == ("Economy", "World") and saved.active
    assert saved.created_at == T0
    later = T0 + timedelta(hours=1)
    await subs.save(one, ("Economy",), "09:00", "UTC", later, restart=False)
    [entry] = await subs.scheduled()
    assert entry.active_since == T0  # not restarted
    assert entry.subscription.time == "09:00"
    assert (entry.last_period, entry.last_status, entry.last_until) == (None, None, None)
    await subs.set_categories(one, (), later)
    assert await subs.count_active() == 0
    await subs.save(one, ("Economy",), "09:00", "UTC", later, restart=True)
    await subs.save(two, ("Sports",), "07:00", "UTC", later, restart=True)
    assert await subs.move(one, two, later) is True  # merged into the existing one
    moved = await subs.get(two)
    assert moved is not None and moved.categories == ("Sports", "Economy")
    assert [e.subscription.channel for e in await subs.scheduled()] == [two]
    assert await subs.deactivate(two, later) is True
    assert await subs.deactivate(two, later) is False
    assert await subs.move(ChannelRef("discord", "404"), two, later) is False
    assert await subs.by_id(moved.id) is not None


# --- the delivery ledger and its lease ----------------------------------------------------


async def _subscription(store: Any, ident: str = "1") -> int:
    sub = await store.subscriptions.save(
        ChannelRef("discord", ident), ("Economy",), "08:00", "UTC", T0, restart=True
    )
    return int(sub.id)


def _claim(sid: int, period: str = "2026-11-21") -> Claim:
    due = datetime.fromisoformat(f"{period}T08:00:00+00:00")
    return Claim(sid, period, due, due - timedelta(days=1), due)


async def test_claim_finish_and_the_ledger_reads(any_store: Any) -> None:
    sid = await _subscription(any_store)
    now = datetime(2026, 11, 21, 8, 0, 5, tzinfo=UTC)
    [delivery] = await any_store.deliveries.claim([_claim(sid)], now)
    assert (delivery.status, delivery.attempts, delivery.period) == ("pending", 1, "2026-11-21")
    assert delivery.until == datetime(2026, 11, 21, 8, tzinfo=UTC)
    await any_store.deliveries.finish(delivery.id, "sent", now, items=3)
    assert await any_store.deliveries.claim([_claim(sid)], now) == []  # final: never again
    assert await any_store.deliveries.last_until(sid) == delivery.until
    assert await any_store.deliveries.counts() == {"sent": 1}
    assert (
        await any_store.deliveries.record(sid, "2026-11-21", delivery.due_at, "skipped", now)
        is False
    )
    assert (
        await any_store.deliveries.record(sid, "2026-11-19", delivery.due_at, "skipped", now)
        is True
    )
    assert [d.status for d in await any_store.deliveries.for_subscription(sid)] == [
        "skipped",
        "sent",
    ]
    [entry] = await any_store.subscriptions.scheduled()
    assert (entry.last_period, entry.last_status) == ("2026-11-21", "sent")
    assert (await any_store.usage.totals()).deliveries_sent == 1


async def test_a_claim_held_by_another_process_is_left_alone(
    any_store: Any, other_store: Any
) -> None:
    sid = await _subscription(any_store)
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    [mine] = await any_store.deliveries.claim([_claim(sid)], now)
    assert await other_store.deliveries.claim([_claim(sid)], now + timedelta(seconds=30)) == []
    await any_store.deliveries.finish(mine.id, "sent", now + timedelta(seconds=31))
    assert await other_store.deliveries.claim([_claim(sid)], now + timedelta(minutes=5)) == []


async def test_a_dead_process_claim_is_taken_over_within_two_minutes(
    any_store: Any, other_store: Any
) -> None:
    sid = await _subscription(any_store)
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    await any_store.deliveries.claim([_claim(sid)], now)  # ... and the process dies
    assert await other_store.deliveries.claim([_claim(sid)], now + timedelta(seconds=59)) == []
    [taken] = await other_store.deliveries.claim([_claim(sid)], now + timedelta(seconds=60))
    assert taken.attempts == 2
    assert any_store.deliveries.lease <= timedelta(minutes=2)
    # The old owner, back, cannot take it back while the new lease runs.
    assert await any_store.deliveries.claim([_claim(sid)], now + timedelta(seconds=61)) == []


async def test_progress_renews_the_lease_and_a_clean_stop_releases_it(
    any_store: Any, other_store: Any
) -> None:
    a, b = await _subscription(any_store, "1"), await _subscription(any_store, "2")
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    first, _ = await any_store.deliveries.claim([_claim(a), _claim(b)], now)
    await any_store.deliveries.finish(first.id, "sent", now + timedelta(seconds=50))
    # The second row is still this process's: finishing the first renewed its lease.
    assert await other_store.deliveries.claim([_claim(b)], now + timedelta(seconds=70)) == []
    assert await any_store.deliveries.release() == 1
    [taken] = await other_store.deliveries.claim([_claim(b)], now + timedelta(seconds=71))
    assert taken.subscription_id == b


async def test_a_pending_row_of_an_earlier_period_is_superseded_only_when_free(
    any_store: Any, other_store: Any
) -> None:
    sid = await _subscription(any_store)
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    await any_store.deliveries.claim([_claim(sid)], now)
    assert await other_store.deliveries.claim([_claim(sid, "2026-11-22")], now) != []
    statuses = [d.status for d in await any_store.deliveries.for_subscription(sid)]
    assert statuses == ["pending", "pending"]  # the held one is its owner's to finish
    later = now + timedelta(days=1, minutes=5)
    await other_store.deliveries.claim([_claim(sid, "2026-11-22")], later)
    statuses = [d.status for d in await any_store.deliveries.for_subscription(sid)]
    assert statuses == ["skipped", "pending"]


async def test_two_claimers_at_once_split_the_work(any_store: Any, other_store: Any) -> None:
    sids = [await _subscription(any_store, str(n)) for n in range(40)]
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    claims = [_claim(s) for s in sids]
    first, second = await asyncio.gather(
        any_store.deliveries.claim(claims, now), other_store.deliveries.claim(claims, now)
    )
    assert sorted(d.subscription_id for d in first + second) == sorted(sids)


async def test_digest_send_beside_run_does_not_resend_a_digest_in_flight(
    backend_config: Config, any_store: Any, other_store: Any
) -> None:
    fast = backend_config.with_overrides(digest={"discord_rate": 100000, "retry_backoff_s": 0.001})
    clock = Clock(utc("2026-03-27 12:00"))
    subs = SubscriptionService(any_store, fast, clock)
    for ch in ("discord:1", "discord:2"):
        await subs.subscribe(request("subscribe", "Economy 08:00 UTC", ch))
    await add_analysis(any_store, "Rates", "Economy", utc("2026-03-27 20:00"))
    running = RecordingSender(hang_after_accept={"1", "2"}, expect=2)  # `run`, mid-send
    run = asyncio.create_task(
        DigestService(any_store, fast, clock).send_due(
            {"discord": running}, utc("2026-03-28 08:00")
        )
    )
    await asyncio.wait_for(running.arrived.wait(), 5)
    manual = RecordingSender()  # `digest --send` in another process, a minute later
    report = await DigestService(other_store, fast, clock).send_due(
        {"discord": manual}, utc("2026-03-28 08:00:30")
    )
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert manual.received == [] and report.sent == []
    assert sorted(running.channels()) == ["discord:1", "discord:2"]


async def test_killed_mid_fanout_another_process_sends_the_rest_once(
    backend_config: Config, any_store: Any, other_store: Any
) -> None:
    fast = backend_config.with_overrides(digest={"discord_rate": 100000, "retry_backoff_s": 0.001})
    clock = Clock(utc("2026-03-27 12:00"))
    channels = [f"discord:{n}" for n in range(1, 31)]
    subs = SubscriptionService(any_store, fast, clock)
    for ch in channels:
        await subs.subscribe(request("subscribe", "Economy 08:00 UTC", ch))
    await add_analysis(any_store, "Rates", "Economy", utc("2026-03-27 20:00"))
    before = RecordingSender(hang_after_accept={"3", "7"}, expect=15)
    dying = DigestService(any_store, fast, clock, concurrency=4)
    task = asyncio.create_task(dying.send_due({"discord": before}, now=utc("2026-03-28 08:00")))
    await asyncio.wait_for(before.arrived.wait(), 5)
    task.cancel()  # the process dies here, its leases left behind
    with pytest.raises(asyncio.CancelledError):
        await task
    marked = set()
    for ch in channels:
        sub = await other_store.subscriptions.get(ChannelRef.parse(ch))
        if [d.status for d in await other_store.deliveries.for_subscription(sub.id)] == ["sent"]:
            marked.add(ch)
    after = RecordingSender()
    survivor = DigestService(other_store, fast, clock)
    early = await survivor.send_due({"discord": after}, now=utc("2026-03-28 08:00:30"))
    assert early.sent == []  # the dead process's leases still run
    await survivor.send_due({"discord": after}, now=utc("2026-03-28 08:02"))
    total = before.channels() + after.channels()
    assert set(total) == set(channels)  # nothing lost
    assert max(total.values()) <= 2
    assert not marked & set(after.channels())  # nothing marked sent is sent again
    repeated = {ch for ch, n in total.items() if n > 1}
    assert {"discord:3", "discord:7"} <= repeated  # in flight at the kill: may come twice
    assert repeated <= set(before.channels()) - marked  # accepted, not yet recorded
    for ch in channels:
        sub = await other_store.subscriptions.get(ChannelRef.parse(ch))
        [row] = await other_store.deliveries.for_subscription(sub.id)
        assert row.status == "sent", ch


# --- selection, secrets and the schema ------------------------------------------------------


def test_storage_url_accepts_postgres_and_names_the_key_otherwise() -> None:
    ok = build_config({"storage": {"url": "postgres://u:pw@db.example:6432/prism"}}, {}, "t")
    assert ok.storage.url.startswith("postgres://")
    for bad, says in (
        ("mysql://u@h/db", "got scheme 'mysql'"),
        ("db.example/prism", "got no scheme"),
        ("postgresql://u@h", "names no database"),
        ("postgresql://u:secret@h:port/db", "not a valid URL"),
    ):
        with pytest.raises(ConfigError, match=r"^\[storage\] url: ") as caught:
            build_config({"storage": {"url": bad}}, {}, "t")
        assert says in str(caught.value)
        assert "secret" not in str(caught.value)


def test_the_url_is_shown_without_its_password() -> None:
    url = "postgresql://prism:hunter22@db.example:6432/prism?sslmode=require"
    assert display_url(url) == "postgresql://prism:***@db.example:6432/prism?sslmode=require"
    assert display_url("postgresql://prism@db/prism") == "postgresql://prism@db/prism"
    assert display_url("postgresql://db/p?user=u&password=pw1&x=1") == (
        "postgresql://db/p?user=u&password=***&x=1"
    )
    assert describe(url) == "PostgreSQL db.example:6432/prism"


def test_logs_never_show_a_password_from_a_url() -> None:
    redact = RedactFilter([])  # the filter setup_logging installs, without global state
    for text, shown in (
        ("lost postgresql://prism:hunter22@db/prism", "postgresql://prism:***@db/prism"),
        ("lost postgresql://db/prism?password=hunter33", "postgresql://db/prism?password=***"),
    ):
        record = logging.LogRecord("prism.test", logging.WARNING, __file__, 1, text, None, None)
        assert redact.filter(record) is True
        assert record.getMessage() == f"lost {shown}"


async def test_sqlite_is_the_default(config: Config) -> None:
    store = await open_store(config)
    try:
        assert isinstance(store, Store)
    finally:
        await store.close()


async def test_closing_a_postgres_store_releases_its_claims(pg_url: str) -> None:
    from bot.store.postgres.store import PgStore

    first, second = await PgStore.open(pg_url), await PgStore.open(pg_url)
    try:
        sid = await _subscription(first)
        now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
        await first.deliveries.claim([_claim(sid)], now)
        await first.close()  # a clean stop
        [taken] = await second.deliveries.claim([_claim(sid)], now + timedelta(seconds=1))
        assert taken.attempts == 2
    finally:
        await second.close()


async def test_processes_starting_at_once_create_the_schema_once(pg_url: str) -> None:
    from bot.store.postgres.db import _migrations
    from bot.store.postgres.store import PgStore

    newest = _migrations()[-1][0]  # every migration applied, once (was 1 when only 001 existed)
    stores = await asyncio.gather(*(PgStore.open(pg_url) for _ in range(3)))
    try:
        assert [await s.db.version() for s in stores] == [newest] * 3
        assert await stores[0].db.migrate() == []
    finally:
        for s in stores:
            await s.close()


async def test_lock_sessions_are_kept_and_handed_back_holding_nothing(pg_url: str) -> None:
    from bot.store.postgres.locks import GENERATING
    from bot.store.postgres.store import PgStore

    stores = [await PgStore.open(pg_url), await PgStore.open(pg_url)]
    first, second = stores
    url = "https://news.example/story-1"
    key = int.from_bytes(url_key(url)[:4], "big", signed=True) % 2**32

    async def holders() -> list[int]:
        rows = await second.db.fetchall(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = %s"
            " AND objid::bigint = %s AND objsubid = 2 AND granted",
            (GENERATING, key),
        )
        return [row["pid"] for row in rows]

    async def generate(entered: asyncio.Event | None = None) -> list[int]:
        async with first.locks.generating(url):
            if entered is not None:
                entered.set()
                await asyncio.sleep(30)  # cancelled here, as an abandoned request is
            return await holders()

    try:
        held = [await generate(), await generate()]
        assert len(held[0]) == 1 and held[0] == held[1]  # one session, kept for the next
        assert await holders() == []  # handed back unlocked

        entered = asyncio.Event()
        cancelled = asyncio.create_task(generate(entered))
        await entered.wait()
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert await holders() == []  # a cancelled generation leaves nothing held
        async with second.locks.generating(url):  # so another process takes it at once
            assert len(await holders()) == 1

        await stores.pop(0).close()  # closing the store closes its lock sessions
        for _ in range(100):
            gone = await second.db.fetchone(
                "SELECT count(*) = 0 AS gone FROM pg_stat_activity WHERE pid = %s", (held[0][0],)
            )
            if gone["gone"]:
                break
            await asyncio.sleep(0.05)
        assert gone["gone"]
    finally:
        for store in stores:
            await store.close()


async def test_an_unreachable_server_is_a_clear_error() -> None:
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    from bot.store.postgres.db import StoreUnavailable
    from bot.store.postgres.store import PgStore

    with pytest.raises(StoreUnavailable, match=r"^cannot connect to PostgreSQL 127.0.0.1:1/none: "):
        await asyncio.wait_for(PgStore.open("postgresql://nobody@127.0.0.1:1/none"), 30)
