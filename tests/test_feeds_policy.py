"""The polling state machine, driven by an injected clock and jitter."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from bot.ingest.feeds.policy import (
    MAX_INTERVAL,
    FeedState,
    Freshness,
    Policy,
    freshness,
    retry_after_seconds,
)

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
POLICY = Policy(every_min=15, disable_after=timedelta(days=7))


def rng() -> random.Random:
    return random.Random(7)


def test_a_new_feed_is_due_at_once_and_a_disabled_one_never() -> None:
    assert POLICY.is_due(FeedState(), NOW)
    assert not POLICY.is_due(FeedState(status="disabled"), NOW)


def test_success_schedules_the_next_poll_with_jitter_and_keeps_validators() -> None:
    state = POLICY.succeeded(FeedState(), NOW, rng(), fresh=Freshness(), etag='"e1"',
                             last_modified="Mon, 30 Nov 2026 12:00:00 GMT")  # fmt: skip
    assert state.status == "ok"
    assert (state.etag, state.last_modified) == ('"e1"', "Mon, 30 Nov 2026 12:00:00 GMT")
    assert state.next_poll_at is not None
    wait = state.next_poll_at - NOW
    assert timedelta(minutes=13.5) <= wait <= timedelta(minutes=16.5)
    assert not POLICY.is_due(state, NOW + timedelta(minutes=13))
    assert POLICY.is_due(state, NOW + timedelta(minutes=17))


def test_jitter_spreads_feeds_polled_together() -> None:
    shared = random.Random(1)
    waits = {POLICY.succeeded(FeedState(), NOW, shared, fresh=Freshness()).next_poll_at
             for _ in range(20)}  # fmt: skip
    assert len(waits) > 10


def test_max_age_ttl_and_retry_after_can_only_lengthen_the_interval() -> None:
    for fresh in (Freshness(max_age_s=3600), Freshness(ttl_min=60), Freshness(retry_after_s=3600)):
        state = POLICY.succeeded(FeedState(), NOW, rng(), fresh=fresh)
        assert state.next_poll_at is not None
        assert state.next_poll_at - NOW >= timedelta(minutes=54)
    short = POLICY.succeeded(FeedState(), NOW, rng(), fresh=Freshness(max_age_s=10))
    assert short.next_poll_at is not None and short.next_poll_at - NOW >= timedelta(minutes=13)


def test_intervals_are_capped_at_a_day() -> None:
    state = POLICY.succeeded(FeedState(), NOW, rng(), fresh=Freshness(max_age_s=10**9))
    assert state.next_poll_at is not None
    assert state.next_poll_at - NOW <= MAX_INTERVAL * 1.1


def test_failures_back_off_exponentially() -> None:
    state, waits = FeedState(status="ok"), []
    for n in range(4):
        moment = NOW + timedelta(hours=n)
        state = POLICY.failed(state, moment, random.Random(0), "boom")
        assert state.next_poll_at is not None
        waits.append(state.next_poll_at - moment)
    assert state.status == "failing" and state.failures == 4 and state.error == "boom"
    assert state.failing_since == NOW
    assert all(later > earlier * 1.5 for earlier, later in itertools.pairwise(waits))


def test_retry_after_is_honoured_on_failure() -> None:
    state = POLICY.failed(FeedState(), NOW, rng(), "429", retry_after_s=6 * 3600)
    assert state.next_poll_at is not None
    assert state.next_poll_at - NOW >= timedelta(hours=5.4)


def test_a_feed_failing_for_disable_after_days_is_disabled_with_its_reason() -> None:
    state = POLICY.failed(FeedState(status="ok"), NOW, rng(), "timed out")
    state = POLICY.failed(state, NOW + timedelta(days=6), rng(), "timed out")
    assert state.status == "failing"
    state = POLICY.failed(state, NOW + timedelta(days=7), rng(), "timed out")
    assert state.status == "disabled"
    assert state.next_poll_at is None
    assert state.error == "timed out (failing since 2026-12-01)"
    assert not POLICY.is_due(state, NOW + timedelta(days=30))


def test_success_clears_a_failing_streak() -> None:
    failing = POLICY.failed(FeedState(status="ok"), NOW, rng(), "boom")
    state = POLICY.succeeded(failing, NOW + timedelta(hours=1), rng(), fresh=Freshness())
    assert (state.status, state.failures, state.failing_since, state.error) == ("ok", 0, None, "")


def test_caching_headers_are_read_leniently() -> None:
    assert freshness(NOW, cache_control="public, max-age=600").max_age_s == 600
    assert freshness(NOW, cache_control="s-maxage=5, max-age=900").max_age_s == 900
    later = "Tue, 01 Dec 2026 07:00:00 GMT"
    assert freshness(NOW, expires=later).max_age_s == 3600
    assert freshness(NOW, expires="garbage").max_age_s is None
    assert freshness(NOW, cache_control="no-cache").max_age_s is None


def test_retry_after_as_seconds_or_date() -> None:
    assert retry_after_seconds("120", NOW) == 120
    assert retry_after_seconds("Tue, 01 Dec 2026 06:10:00 GMT", NOW) == 600
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds("", NOW) is None
