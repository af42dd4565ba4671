"""Channel subscriptions to categories, and the local-time arithmetic of their digests.

A channel has one subscription: a set of categories, a delivery time and an IANA
zone. The digest for a local date is due at that date's delivery time; on
daylight-saving change days a nonexistent time goes out at the first valid instant
after it and an ambiguous one once, at its first occurrence.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.config import Config
from bot.errors import BadArguments
from bot.logs import event
from bot.models import ChannelRef, Item, Paragraph, Reply, Request, Subscription
from bot.store import Store

log = logging.getLogger("prism.subscriptions")

_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})")
USAGE = "/subscribe <category…> [HH:MM] [timezone]"


# --- local time ------------------------------------------------------------------------


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
    return {name.casefold(): name for name in available_timezones()}


def find_zone(text: str) -> str | None:
    """The IANA spelling of a zone name given in any case, or None."""
    return _zones().get(text.strip().casefold())


def zone_error(text: str) -> BadArguments:
    close = difflib.get_close_matches(text.casefold(), list(_zones()), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(_zones()[c] for c in close)}?" if close else ""
    return BadArguments(
        f"Unknown time zone {text!r}.{hint} Use an IANA name such as Europe/Berlin, "
        "America/New_York or UTC."
    )


def category_error(config: Config, text: str) -> BadArguments:
    """An unknown category: name it, suggest close matches, list the valid ones."""
    names = config.categories.names
    folded = text.casefold()
    close = [n for n in names if len(folded) >= 3 and n.casefold().startswith(folded)]
    lowered = {n.casefold(): n for n in names}
    for match in difflib.get_close_matches(folded, list(lowered), n=3, cutoff=0.6):
        if lowered[match] not in close:
            close.append(lowered[match])
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return BadArguments(f"Unknown category {text!r}.{hint} Categories: {', '.join(names)}.")


def parse_time(text: str) -> str | None:
    """`8:00`, `08:00`, `8.00` or `8h00` as `08:00`; None if it is not time-shaped."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise BadArguments(f"{text!r} is not a time of day: use HH:MM, from 00:00 to 23:59.")
    return f"{hour:02d}:{minute:02d}"


# --- arguments -----------------------------------------------------------------------


class Arguments:
    """What `/subscribe` or `/unsubscribe` was given: categories, a time, a zone."""

    def __init__(self, config: Config, text: str) -> None:
        self.categories: list[str] = []
        self.time: str | None = None
        self.timezone: str | None = None
        words = [w for w in re.split(r"[\s,;]+", text.strip()) if w]
        i = 0
        while i < len(words):
            i += self._take(config, words, i)

    def _take(self, config: Config, words: list[str], i: int) -> int:
        """Consume the longest match at words[i]; returns how many words it used."""
        for span in range(min(4, len(words) - i), 0, -1):  # multi-word category names
            name = config.category(" ".join(words[i : i + span]))
            if name is not None:
                if name not in self.categories:
                    self.categories.append(name)
                return span
        word = words[i]
        hhmm = parse_time(word)
        if hhmm is not None:
            if self.time is not None and self.time != hhmm:
                raise BadArguments(f"Give one delivery time, not {self.time} and {hhmm}.")
            self.time = hhmm
            return 1
        zone = find_zone(word)
        if zone is not None:
            if self.timezone is not None and self.timezone != zone:
                raise BadArguments(f"Give one time zone, not {self.timezone} and {zone}.")
            self.timezone = zone
            return 1
        if "/" in word or word.casefold().startswith(("utc", "gmt")):
            raise zone_error(word)
        raise category_error(config, word)


def in_order(config: Config, names: set[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Categories in the configured order (names no longer configured go last)."""
    wanted = set(names)
    known = [n for n in config.categories.names if n in wanted]
    return tuple(known + sorted(wanted - set(known)))


def describe(subscription: Subscription) -> str:
    return (
        f"{_join(subscription.categories)} every day at {subscription.time} "
        f"({subscription.timezone})"
    )


def local_label(instant: datetime, zone: str) -> str:
    """`Wed 4 Mar 2026, 08:00 CET`: when something happens, in the channel's time."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def _join(names: tuple[str, ...] | list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# --- the service ----------------------------------------------------------------------


class SubscriptionService:
    """The /subscribe, /unsubscribe and /subscriptions commands.

    The core has already checked admin rights for commands marked `admin`.
    """

    def __init__(self, store: Store, config: Config, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    async def subscribe(self, request: Request) -> Reply:
        """Add categories (merging), optionally set time and zone; reactivates a channel."""
        args = Arguments(self.config, request.text)
        current = await self.store.subscriptions.get(request.channel)
        kept = current.categories if current is not None and current.active else ()
        if not args.categories and not kept:
            raise BadArguments(
                f"Name at least one category: {USAGE}. "
                f"Categories: {', '.join(self.config.categories.names)}."
            )
        categories = in_order(self.config, [*kept, *args.categories])
        time = args.time or (current.time if current else self.config.digest.time)
        zone = args.timezone or (current.timezone if current else self.config.digest.timezone)
        restart = (
            current is None
            or not current.active
            or (current.time, current.timezone) != (time, zone)
        )
        now = self.clock()
        saved = await self.store.subscriptions.save(
            request.channel, categories, time, zone, now, restart
        )
        added = [c for c in args.categories if c not in kept]
        event(log, "subscribe", channel=request.channel, categories=",".join(categories))
        lead = f"Added {_join(added)}. " if added and kept else ""
        return Reply(
            kind="info",
            title="Subscribed",
            blocks=(
                Paragraph(f"{lead}This channel gets a daily digest of {describe(saved)}."),
                Item("Next digest", local_label(next_due(now, time, ZoneInfo(zone)), zone)),
            ),
            ephemeral=True,
        )

    async def unsubscribe(self, request: Request) -> Reply:
        """Remove the named categories, or all of them when none is named."""
        args = Arguments(self.config, request.text)
        if args.time or args.timezone:
            raise BadArguments("/unsubscribe takes categories only (none: all of them).")
        current = await self.store.subscriptions.get(request.channel)
        if current is None or not current.active:
            return _none_reply(ephemeral=True)
        missing = [c for c in args.categories if c not in current.categories]
        if missing:
            raise BadArguments(
                f"This channel is not subscribed to {_join(missing)} "
                f"(subscribed: {_join(current.categories)})."
            )
        left = tuple(c for c in current.categories if args.categories and c not in args.categories)
        await self.store.subscriptions.set_categories(request.channel, left, self.clock())
        event(log, "unsubscribe", channel=request.channel, left=",".join(left))
        if left:
            text = f"Removed {_join(args.categories)}. Still subscribed to {_join(left)}."
        else:
            text = "This channel no longer gets a daily digest."
        return Reply(kind="info", title="Unsubscribed", blocks=(Paragraph(text),), ephemeral=True)

    async def list(self, request: Request) -> Reply:
        """The channel's subscription with its next delivery in local time."""
        current = await self.store.subscriptions.get(request.channel)
        if current is None or not current.active:
            return _none_reply(ephemeral=False)
        upcoming = next_due(self.clock(), current.time, ZoneInfo(current.timezone))
        return Reply(
            kind="info",
            title="Digest subscription",
            blocks=(
                Item(
                    _join(current.categories),
                    f"every day at {current.time} ({current.timezone})",
                    f"next: {local_label(upcoming, current.timezone)}",
                ),
            ),
        )

    async def deactivate(self, channel: ChannelRef, reason: str) -> None:
        """The bot can no longer post there: stop delivering, keep the row for history."""
        if await self.store.subscriptions.deactivate(channel, self.clock()):
            event(log, "subscription_deactivated", logging.WARNING, channel=channel, reason=reason)

    async def move(self, channel: ChannelRef, new_id: str) -> None:
        """Telegram upgraded a group to a supergroup: follow it to its new id."""
        new = ChannelRef(channel.platform, new_id)
        if await self.store.subscriptions.move(channel, new, self.clock()):
            event(log, "subscription_moved", channel=channel, to=new)


def _none_reply(ephemeral: bool) -> Reply:
    return Reply(
        kind="info",
        title="No subscription",
        blocks=(Paragraph(f"This channel gets no daily digest. Start one with {USAGE}."),),
        ephemeral=ephemeral,
    )


def check_zone(name: str) -> ZoneInfo:
    """A stored zone, loaded; tzdata updates could in theory remove one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise zone_error(name) from None
