"""Subscriptions: parsing /subscribe arguments, merging, unsubscribing, listing, and the
local-time arithmetic of delivery times across daylight-saving changes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.config import Config
from bot.core import Core
from bot.digests.periods import due_at, latest_due, next_due
from bot.digests.subscriptions import SubscriptionService, parse_time
from bot.errors import BadArguments
from bot.models import ChannelRef, Item, Paragraph
from bot.store import Store
from tests.support.digests import Clock, request, utc

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def clock() -> Clock:
    return Clock(utc("2026-03-28 12:00"))


@pytest.fixture
def subs(store: Store, config: Config, clock: Clock) -> SubscriptionService:
    return SubscriptionService(store, config, clock)


async def stored(store: Store, channel: str = "discord:100") -> tuple[object, ...]:
    sub = await store.subscriptions.get(ChannelRef.parse(channel))
    assert sub is not None
    return (sub.categories, sub.time, sub.timezone, sub.active)


# --- /subscribe ---------------------------------------------------------------------------


async def test_subscribe_stores_categories_in_configured_order(
    subs: SubscriptionService, store: Store
) -> None:
    reply = await subs.subscribe(request("subscribe", "technology Economy 08:00 Europe/Berlin"))
    assert await stored(store) == (("Economy", "Technology"), "08:00", "Europe/Berlin", True)
    assert reply.kind == "info" and reply.ephemeral
    assert "Economy and Technology every day at 08:00 (Europe/Berlin)" in reply.plain_text()


async def test_subscribe_reply_names_next_delivery_in_local_time(subs: SubscriptionService) -> None:
    reply = await subs.subscribe(request("subscribe", "Economy 08:00 Europe/Berlin"))
    assert Item("Next digest", "Sun 29 Mar 2026, 08:00 CEST") in reply.blocks


async def test_subscribe_defaults_time_and_zone_from_config(
    subs: SubscriptionService, store: Store
) -> None:
    await subs.subscribe(request("subscribe", "Science"))
    assert await stored(store) == (("Science",), "08:00", "UTC", True)


async def test_subscribe_again_merges_categories_and_keeps_time(
    subs: SubscriptionService, store: Store
) -> None:
    await subs.subscribe(request("subscribe", "Technology 07:15 America/New_York"))
    reply = await subs.subscribe(request("subscribe", "economy, technology"))
    assert await stored(store) == (("Economy", "Technology"), "07:15", "America/New_York", True)
    assert reply.plain_text().startswith("Subscribed\nAdded Economy.")


async def test_subscribe_with_only_a_time_changes_the_time(
    subs: SubscriptionService, store: Store
) -> None:
    await subs.subscribe(request("subscribe", "Economy"))
    await subs.subscribe(request("subscribe", "9:30 europe/berlin"))
    assert await stored(store) == (("Economy",), "09:30", "Europe/Berlin", True)


async def test_bare_subscribe_shows_usage_and_changes_nothing(
    subs: SubscriptionService, store: Store
) -> None:
    await subs.subscribe(request("subscribe", "Economy 07:00"))
    with pytest.raises(BadArguments, match=r"^Usage: /subscribe <category…> \[HH:MM\]"):
        await subs.subscribe(request("subscribe", "  "))
    assert await stored(store) == (("Economy",), "07:00", "UTC", True)


async def test_resubscribing_at_another_time_says_it_moved(subs: SubscriptionService) -> None:
    await subs.subscribe(request("subscribe", "Economy 07:00"))
    reply = await subs.subscribe(request("subscribe", "Economy 09:30 Europe/Berlin"))
    assert "Moved the digest from 07:00 UTC to 09:30 Europe/Berlin." in reply.plain_text()
    same = await subs.subscribe(request("subscribe", "Science"))
    assert "Moved" not in same.plain_text()


async def test_multi_word_categories_are_matched(
    store: Store, config: Config, clock: Clock
) -> None:
    custom = config.with_overrides(categories={"names": ["Middle East", "Economy"]})
    service = SubscriptionService(store, custom, clock)
    await service.subscribe(request("subscribe", "economy middle east"))
    assert await stored(store) == (("Middle East", "Economy"), "08:00", "UTC", True)


async def test_unknown_category_suggests_a_prefix_match_and_lists_all(
    subs: SubscriptionService,
) -> None:
    with pytest.raises(BadArguments) as err:
        await subs.subscribe(request("subscribe", "Economy Tech"))
    assert str(err.value).startswith("Unknown category 'Tech'. Did you mean Technology?")
    assert "Categories: World, Politics, Economy, Business, Technology" in str(err.value)


async def test_misspelt_category_suggests_the_close_match(subs: SubscriptionService) -> None:
    with pytest.raises(BadArguments, match=r"Unknown category 'Econmy'\. Did you mean Economy\?"):
        await subs.subscribe(request("subscribe", "Econmy"))


async def test_unknown_zone_suggests_close_matches(subs: SubscriptionService) -> None:
    with pytest.raises(
        BadArguments, match=r"Unknown time zone 'Europe/Berln'\. Did you mean Europe/Berlin"
    ):
        await subs.subscribe(request("subscribe", "Economy Europe/Berln"))


async def test_time_out_of_range_is_refused(subs: SubscriptionService) -> None:
    with pytest.raises(BadArguments, match=r"'25:00' is not a time of day: use HH:MM"):
        await subs.subscribe(request("subscribe", "Economy 25:00"))


async def test_two_times_are_refused(subs: SubscriptionService) -> None:
    with pytest.raises(BadArguments, match="Give one delivery time, not 08:00 and 09:00"):
        await subs.subscribe(request("subscribe", "Economy 08:00 09:00"))


async def test_two_zones_are_refused(subs: SubscriptionService) -> None:
    with pytest.raises(BadArguments, match="Give one time zone, not UTC and Europe/Berlin"):
        await subs.subscribe(request("subscribe", "Economy UTC Europe/Berlin"))


async def test_subscribe_without_a_category_says_how(subs: SubscriptionService) -> None:
    with pytest.raises(BadArguments, match=r"Name at least one category: /subscribe <category…>"):
        await subs.subscribe(request("subscribe", "08:00"))


async def test_failed_subscribe_stores_nothing(subs: SubscriptionService, store: Store) -> None:
    with pytest.raises(BadArguments):
        await subs.subscribe(request("subscribe", "Economy Nonsense"))
    assert await store.subscriptions.get(ChannelRef.parse("discord:100")) is None


# --- /unsubscribe and /subscriptions ------------------------------------------------------


async def test_unsubscribe_named_keeps_the_rest(subs: SubscriptionService, store: Store) -> None:
    await subs.subscribe(request("subscribe", "Economy Science Sports"))
    reply = await subs.unsubscribe(request("unsubscribe", "science"))
    assert await stored(store) == (("Economy", "Sports"), "08:00", "UTC", True)
    assert "Removed Science. Still subscribed to Economy and Sports." in reply.plain_text()


async def test_unsubscribe_all_deactivates(subs: SubscriptionService, store: Store) -> None:
    await subs.subscribe(request("subscribe", "Economy Science"))
    reply = await subs.unsubscribe(request("unsubscribe", ""))
    assert await stored(store) == ((), "08:00", "UTC", False)
    assert reply.blocks == (Paragraph("This channel no longer gets a daily digest."),)


async def test_unsubscribe_last_category_deactivates(
    subs: SubscriptionService, store: Store
) -> None:
    await subs.subscribe(request("subscribe", "Economy"))
    await subs.unsubscribe(request("unsubscribe", "Economy"))
    assert (await stored(store))[3] is False


async def test_unsubscribe_a_category_not_subscribed(subs: SubscriptionService) -> None:
    await subs.subscribe(request("subscribe", "Economy"))
    with pytest.raises(BadArguments, match=r"not subscribed to Sports \(subscribed: Economy\)"):
        await subs.unsubscribe(request("unsubscribe", "Sports"))


async def test_unsubscribe_refuses_a_time(subs: SubscriptionService) -> None:
    await subs.subscribe(request("subscribe", "Economy"))
    with pytest.raises(BadArguments, match="/unsubscribe takes categories only"):
        await subs.unsubscribe(request("unsubscribe", "Economy 08:00"))


async def test_unsubscribe_without_subscription_says_so(subs: SubscriptionService) -> None:
    reply = await subs.unsubscribe(request("unsubscribe", ""))
    assert reply.title == "No subscription"


async def test_resubscribing_reactivates_with_only_the_new_categories(
    subs: SubscriptionService, store: Store
) -> None:
    await subs.subscribe(request("subscribe", "Economy Science 10:00"))
    await subs.unsubscribe(request("unsubscribe", ""))
    await subs.subscribe(request("subscribe", "Sports"))
    assert await stored(store) == (("Sports",), "10:00", "UTC", True)


async def test_list_shows_next_delivery_in_local_time(subs: SubscriptionService) -> None:
    await subs.subscribe(request("subscribe", "Economy Climate 08:00 Europe/Berlin"))
    reply = await subs.list(request("subscriptions", ""))
    assert reply.blocks == (
        Item(
            "Economy and Climate",
            "every day at 08:00 (Europe/Berlin)",
            "next: Sun 29 Mar 2026, 08:00 CEST",
        ),
    )


async def test_list_without_subscription(subs: SubscriptionService) -> None:
    reply = await subs.list(request("subscriptions", "", channel="telegram:-5"))
    assert reply.title == "No subscription"
    assert "/subscribe <category…> [HH:MM] [timezone]" in reply.plain_text()


# what digest delivery does when Telegram says a chat is gone or moved
_OLD = ChannelRef("telegram", "-5")
_NOW = utc("2026-03-02 12:00")


async def test_deactivate_and_move(subs: SubscriptionService, store: Store) -> None:
    await subs.subscribe(request("subscribe", "Economy", channel="telegram:-5"))
    await store.subscriptions.move(_OLD, ChannelRef("telegram", "-1005"), _NOW)
    assert await store.subscriptions.get(ChannelRef("telegram", "-5")) is None
    assert await stored(store, "telegram:-1005") == (("Economy",), "08:00", "UTC", True)
    await store.subscriptions.deactivate(ChannelRef("telegram", "-1005"), _NOW)
    assert (await stored(store, "telegram:-1005"))[3] is False


async def test_move_onto_an_existing_subscription_merges(
    subs: SubscriptionService, store: Store
) -> None:
    await subs.subscribe(request("subscribe", "Economy", channel="telegram:-5"))
    await subs.subscribe(request("subscribe", "Sports", channel="telegram:-1005"))
    await store.subscriptions.move(_OLD, ChannelRef("telegram", "-1005"), _NOW)
    assert await stored(store, "telegram:-1005") == (("Sports", "Economy"), "08:00", "UTC", True)
    assert (await stored(store, "telegram:-5"))[3] is False


# --- local time -------------------------------------------------------------------------


def test_parse_time_normalises() -> None:
    assert [parse_time(t) for t in ("8:00", "08:05", "7.30", "21h15", "Economy")] == [
        "08:00",
        "08:05",
        "07:30",
        "21:15",
        None,
    ]


def test_due_at_on_an_ordinary_day() -> None:
    assert due_at(utc("2026-03-28 00:00").date(), "08:00", BERLIN) == utc("2026-03-28 07:00")


def test_nonexistent_time_goes_out_when_the_clocks_jump() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: 02:00 CET became 03:00 CEST.
    assert due_at(utc("2026-03-29 00:00").date(), "02:30", BERLIN) == utc("2026-03-29 01:00")
    assert due_at(utc("2026-03-08 00:00").date(), "02:30", NEW_YORK) == utc("2026-03-08 07:00")


def test_ambiguous_time_goes_out_at_its_first_occurrence() -> None:
    # 02:30 happens twice in Berlin on 25 October 2026: first in CEST (00:30 UTC).
    assert due_at(utc("2026-10-25 00:00").date(), "02:30", BERLIN) == utc("2026-10-25 00:30")
    assert due_at(utc("2026-11-01 00:00").date(), "01:30", NEW_YORK) == utc("2026-11-01 05:30")


def test_delivery_time_follows_the_local_clock_across_dst() -> None:
    before = due_at(utc("2026-03-28 00:00").date(), "08:00", BERLIN)
    after = due_at(utc("2026-03-29 00:00").date(), "08:00", BERLIN)
    assert (before, after) == (utc("2026-03-28 07:00"), utc("2026-03-29 06:00"))


def test_latest_due_is_yesterday_until_todays_time() -> None:
    assert latest_due(utc("2026-03-29 05:59"), "08:00", BERLIN) == (
        "2026-03-28",
        utc("2026-03-28 07:00"),
    )
    assert latest_due(utc("2026-03-29 06:00"), "08:00", BERLIN) == (
        "2026-03-29",
        utc("2026-03-29 06:00"),
    )


def test_next_due_skips_the_gap() -> None:
    assert next_due(utc("2026-03-29 00:00"), "02:30", BERLIN) == utc("2026-03-29 01:00")
    assert next_due(utc("2026-03-29 01:00"), "02:30", BERLIN) == utc("2026-03-30 00:30")


# --- through the core, as every adapter calls it ------------------------------------------


async def test_chat_commands_through_the_core(core: Core) -> None:
    [ok] = await core.handle(request("subscribe", "Economy 08:00 Europe/Berlin"))
    assert ok.title == "Subscribed"
    [bad] = await core.handle(request("subscribe", "Tech"))
    assert (bad.kind, bad.error) == ("error", "usage")
    assert bad.plain_text().startswith("Unknown category 'Tech'. Did you mean Technology?")
    [listed] = await core.handle(request("subscriptions", ""))
    first = listed.blocks[0]
    assert isinstance(first, Item)
    assert first == Item("Economy", "every day at 08:00 (Europe/Berlin)", first.meta)
    [gone] = await core.handle(request("unsubscribe", ""))
    assert gone.title == "Unsubscribed"
