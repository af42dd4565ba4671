"""When to poll a feed next, and what its state becomes after each answer (pure).

A small state machine per feed, with the clock and the jitter passed in so tests can
drive it: `new` → `ok` after the first good poll; a failure makes it `failing`, with
exponential backoff; failing for `disable_after_days` (or a 410 Gone) makes it
`disabled`, which nothing but the operator undoes. The next poll honours the longest
of the feed's own interval, `Cache-Control: max-age`, `Expires`, the RSS `<ttl>` and
`Retry-After`, capped at a day, and is jittered by ±10 % so feeds added together do
not stay in lock-step.
"""

from __future__ import annotations

import email.utils
import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

Status = Literal["new", "ok", "failing", "disabled"]
MAX_INTERVAL = timedelta(days=1)
JITTER = 0.1


@dataclass(frozen=True, slots=True)
class FeedState:
    """What polling remembers of one feed between rounds."""

    status: Status = "new"
    etag: str = ""
    last_modified: str = ""
    next_poll_at: datetime | None = None  # None: due now
    last_polled_at: datetime | None = None
    last_ok_at: datetime | None = None
    failing_since: datetime | None = None
    failures: int = 0
    error: str = ""


@dataclass(frozen=True, slots=True)
class Freshness:
    """How long the server says its answer stays fresh (all optional, in seconds)."""

    max_age_s: float | None = None  # Cache-Control max-age, or Expires minus now
    retry_after_s: float | None = None
    ttl_min: int | None = None  # RSS <ttl>


@dataclass(frozen=True, slots=True)
class Policy:
    """The `[polling]` settings that shape intervals; `every_min` is the feed's own."""

    every_min: int
    disable_after: timedelta

    def is_due(self, state: FeedState, now: datetime) -> bool:
        """Whether a feed in `state` should be polled at `now`."""
        if state.status == "disabled":
            return False
        return state.next_poll_at is None or state.next_poll_at <= now

    def succeeded(
        self,
        state: FeedState,
        now: datetime,
        rng: random.Random,
        *,
        fresh: Freshness,
        etag: str = "",
        last_modified: str = "",
    ) -> FeedState:
        """A 200 or 304: validators kept, failures forgotten, next poll scheduled."""
        wait = max(
            timedelta(minutes=self.every_min),
            timedelta(seconds=fresh.max_age_s or 0),
            timedelta(minutes=fresh.ttl_min or 0),
            timedelta(seconds=fresh.retry_after_s or 0),
        )
        return replace(
            state,
            status="ok",
            etag=etag or state.etag,
            last_modified=last_modified or state.last_modified,
            next_poll_at=now + _jittered(min(wait, MAX_INTERVAL), rng),
            last_polled_at=now,
            last_ok_at=now,
            failing_since=None,
            failures=0,
            error="",
        )

    def failed(
        self,
        state: FeedState,
        now: datetime,
        rng: random.Random,
        error: str,
        retry_after_s: float | None = None,
    ) -> FeedState:
        """A failure: backoff doubles per failure (capped at a day); too long → disabled."""
        since = state.failing_since or now
        if now - since >= self.disable_after:
            return self.disabled(state, now, f"{error} (failing since {since:%Y-%m-%d})")
        failures = state.failures + 1
        backoff = timedelta(minutes=self.every_min) * (2 ** min(failures, 10))
        wait = min(max(backoff, timedelta(seconds=retry_after_s or 0)), MAX_INTERVAL)
        return replace(
            state,
            status="failing",
            next_poll_at=now + _jittered(wait, rng),
            last_polled_at=now,
            failing_since=since,
            failures=failures,
            error=error,
        )

    def disabled(self, state: FeedState, now: datetime, error: str) -> FeedState:
        """Polling stops for good (410 Gone, or failing too long); the reason is kept."""
        return replace(
            state,
            status="disabled",
            next_poll_at=None,
            last_polled_at=now,
            failing_since=state.failing_since or now,
            error=error,
        )


def _jittered(wait: timedelta, rng: random.Random) -> timedelta:
    return wait * (1 + rng.uniform(-JITTER, JITTER))


_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d{1,10})", re.I)


def freshness(
    now: datetime,
    *,
    cache_control: str = "",
    expires: str = "",
    retry_after: str = "",
    ttl_min: int | None = None,
) -> Freshness:
    """The server's caching hints read leniently: anything unreadable is ignored."""
    max_age: float | None = None
    match = _MAX_AGE.search(cache_control)
    if match:
        max_age = float(match.group(1))
    elif expires:
        when = _http_date(expires)
        max_age = (when - now).total_seconds() if when and when > now else None
    return Freshness(max_age, retry_after_seconds(retry_after, now), ttl_min)


def retry_after_seconds(value: str, now: datetime) -> float | None:
    """`Retry-After` as seconds: a number of seconds or an HTTP date; None if unreadable."""
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    when = _http_date(text)
    return max((when - now).total_seconds(), 0.0) if when else None


def _http_date(text: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
