"""Channel subscriptions to categories: /subscribe, /unsubscribe, /subscriptions.

A channel has one subscription: a set of categories, a delivery time and an IANA
zone (bot/digests/periods.py says when its digests fall due).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.digests.periods import find_zone, local_label, next_due, zone_error
from bot.errors import BadArguments
from bot.logs import event
from bot.models import Item, Paragraph, Reply, Request, Subscription
from bot.store import StoreContract

log = logging.getLogger("prism.subscriptions")

_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})")
USAGE = "/subscribe <category…> [HH:MM] [timezone]"


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
    """`Economy and Science every day at 08:00 (Europe/Berlin)`."""
    return (
        f"{_join(subscription.categories)} every day at {subscription.time} "
        f"({subscription.timezone})"
    )


def _join(names: tuple[str, ...] | list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# --- the service ----------------------------------------------------------------------


class SubscriptionService:
    """The /subscribe, /unsubscribe and /subscriptions commands.

    The core has already checked admin rights for commands marked `admin`.
    """

    def __init__(self, store: StoreContract, config: Config, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    async def subscribe(self, request: Request) -> Reply:
        """Add categories (merging), optionally set time and zone; reactivates a channel."""
        args = Arguments(self.config, request.text)
        current = await self.store.subscriptions.get(request.channel)
        kept = current.categories if current is not None and current.active else ()
        if not (args.categories or args.time or args.timezone):
            raise BadArguments(  # a bare /subscribe changes nothing: say how it is used
                f"Usage: {USAGE}. Categories: {', '.join(self.config.categories.names)}. "
                "/subscriptions shows this channel's digest."
            )
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
        if kept and current is not None and (current.time, current.timezone) != (time, zone):
            lead += f"Moved the digest from {current.time} {current.timezone} to {time} {zone}. "
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


def _none_reply(ephemeral: bool) -> Reply:
    return Reply(
        kind="info",
        title="No subscription",
        blocks=(Paragraph(f"This channel gets no daily digest. Start one with {USAGE}."),),
        ephemeral=ephemeral,
    )
