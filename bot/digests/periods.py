"""Digest periods: the local-time arithmetic of "when is a digest due".

The digest for a local date is due at that date's delivery time in the channel's
IANA zone; on daylight-saving change days a nonexistent time goes out at the first
valid instant after it and an ambiguous one once, at its first occurrence.
"""

from __future__ import annotations

import difflib
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import BadArguments


def due_at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of `hhmm` on local `day`, resolved across DST changes."""
    hour, minute = (int(p) for p in hhmm.split(":"))
    local = datetime.combine(day, dtime(hour, minute), tzinfo=zone)  # fold=0: first occurrence
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    return _gap_end(local, zone)


def _gap_end(local: datetime, zone: ZoneInfo) -> datetime:
    """`local` falls in a spring-forward gap: the instant the clocks jumped over it."""
    early = local.replace(fold=1).astimezone(UTC)  # read with the later offset: before the jump
    late = local.replace(fold=0).astimezone(UTC)  # read with the earlier offset: after it
    early, late = min(early, late), max(early, late)
    after = late.astimezone(zone).utcoffset()
    while late - early > timedelta(seconds=1):
        mid = early + (late - early) / 2
        if mid.astimezone(zone).utcoffset() == after:
            late = mid
        else:
            early = mid
    return late.replace(microsecond=0)  # transitions fall on whole seconds


def latest_due(now: datetime, hhmm: str, zone: ZoneInfo) -> tuple[str, datetime]:
    """The most recent period (local date) whose delivery time is not after `now`."""
    day = now.astimezone(zone).date()
    for candidate in (day, day - timedelta(days=1), day - timedelta(days=2)):
        instant = due_at(candidate, hhmm, zone)
        if instant <= now:
            return candidate.isoformat(), instant
    raise AssertionError("a delivery time within two days is always found")


def next_due(now: datetime, hhmm: str, zone: ZoneInfo) -> datetime:
    """The first delivery instant strictly after `now`."""
    day = now.astimezone(zone).date()
    for offset in range(3):
        instant = due_at(day + timedelta(days=offset), hhmm, zone)
        if instant > now:
            return instant
    raise AssertionError("a delivery time within three days is always found")


@cache
def _zones() -> dict[str, str]:
    """Every IANA zone name by its case-folded spelling."""
    return {name.casefold(): name for name in available_timezones()}


def find_zone(text: str) -> str | None:
    """The IANA spelling of a zone name given in any case, or None."""
    return _zones().get(text.strip().casefold())


def zone_error(text: str) -> BadArguments:
    """An unknown zone: name it and suggest close matches."""
    close = difflib.get_close_matches(text.casefold(), list(_zones()), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(_zones()[c] for c in close)}?" if close else ""
    return BadArguments(
        f"Unknown time zone {text!r}.{hint} Use an IANA name such as Europe/Berlin, "
        "America/New_York or UTC."
    )


def local_label(instant: datetime, zone: str) -> str:
    """`Wed 4 Mar 2026, 08:00 CET`: when something happens, in the channel's time."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def check_zone(name: str) -> ZoneInfo:
    """A stored zone, loaded; tzdata updates could in theory remove one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise zone_error(name) from None
