"""Digest content and delivery through the ledger: the right digest, at the right local
time, once — across zones, DST change days, downtime, crashes and platform errors."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.config import Config
from bot.digests.service import DigestService
from bot.digests.subscriptions import SubscriptionService
from bot.errors import BadArguments, NotFound
from bot.models import ChannelRef, Group, Item, Reply
from bot.store import Store, StoreContract
from tests.support.digests import Clock, RecordingSender, add_analysis, request, utc


@pytest.fixture
def store(any_store: StoreContract) -> StoreContract:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


@pytest.fixture
def fast(config: Config) -> Config:
    """Pacing far above what tests send, back-offs of a millisecond."""
    return config.with_overrides(
        digest={
            "discord_rate": 100000,
            "discord_channel_per_second": 100000,
            "telegram_rate": 100000,
            "telegram_chat_per_minute": 6000000,
            "retry_backoff_s": 0.001,
        }
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(utc("2026-03-27 12:00"))


@pytest.fixture
def digests(store: StoreContract, fast: Config, clock: Clock) -> DigestService:
    return DigestService(store, fast, clock)


@pytest.fixture
def subs(store: StoreContract, fast: Config, clock: Clock) -> SubscriptionService:
    return SubscriptionService(store, fast, clock)


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


async def subscribe(subs: SubscriptionService, text: str, channel: str = "discord:100") -> None:
    await subs.subscribe(request("subscribe", text, channel))


async def statuses(store: StoreContract, channel: str = "discord:100") -> list[tuple[str, str]]:
    sub = await store.subscriptions.get(ChannelRef.parse(channel))
    assert sub is not None
    return [(d.period, d.status) for d in await store.deliveries.for_subscription(sub.id)]


def headlines(reply: Reply) -> list[tuple[str, list[str]]]:
    return [
        (g.heading, [i.title for i in g.blocks if isinstance(i, Item)])
        for g in reply.blocks
        if isinstance(g, Group)
    ]


# --- content ------------------------------------------------------------------------------


async def test_digest_groups_by_category_in_configured_order(
    subs: SubscriptionService,
    digests: DigestService,
    sender: RecordingSender,
    store: StoreContract,
    clock: Clock,
) -> None:
    await subscribe(subs, "Technology Economy 08:00 Europe/Berlin")
    await add_analysis(store, "Chips", "Technology", utc("2026-03-27 20:00"))
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 18:00"))
    await add_analysis(store, "Jobs", "Economy", utc("2026-03-27 21:00"))
    await add_analysis(store, "Final", "Sports", utc("2026-03-27 21:30"))
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 07:00"))
    assert report.sent == ["discord:100"]
    [(_, reply)] = sender.received
    assert headlines(reply) == [("Economy", ["Jobs", "Rates"]), ("Technology", ["Chips"])]
    assert reply.kind == "digest"
    assert reply.title == "Daily digest · Saturday 28 March 2026"
    assert reply.meta == "3 new analyses in 2 categories"


async def test_digest_items_carry_lead_reading_time_link_and_id(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    saved = await add_analysis(store, "Rates", "Economy", utc("2026-03-27 18:00"))
    await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    [(_, reply)] = sender.received
    assert reply.blocks == (
        Group(
            "Economy",
            (
                Item(
                    "Rates",
                    "Rates is explained.",
                    f"{saved.reading_minutes} min read",
                    url="http://127.0.0.1/rates.html",
                    analysis_id=saved.id,
                ),
            ),
        ),
    )
    assert reply.category == "Economy"


async def test_max_items_keeps_the_newest_then_most_requested(
    subs: SubscriptionService,
    store: StoreContract,
    clock: Clock,
    sender: RecordingSender,
    fast: Config,
) -> None:
    digests = DigestService(store, fast.with_overrides(digest={"max_items": 2}), clock)
    await subscribe(subs, "Economy 08:00 UTC")
    same = utc("2026-03-27 15:00")
    await add_analysis(store, "Old", "Economy", utc("2026-03-27 10:00"), requests=50)
    await add_analysis(store, "Quiet", "Economy", same, requests=1)
    await add_analysis(store, "Popular", "Economy", same, requests=9)
    await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    [(_, reply)] = sender.received
    assert headlines(reply) == [("Economy", ["Popular", "Quiet"])]
    assert reply.meta == "3 new analyses in 1 category · the 2 newest shown"


async def test_first_digest_covers_the_last_day_so_old_seeds_never_flood(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Seed", "Economy", utc("2025-06-01 08:00"))
    await add_analysis(store, "Yesterday morning", "Economy", utc("2026-03-27 07:59"))
    await add_analysis(store, "Fresh", "Economy", utc("2026-03-27 09:00"))
    await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    [(_, reply)] = sender.received
    assert headlines(reply) == [("Economy", ["Fresh"])]


async def test_next_digest_starts_where_the_last_one_ended(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Monday", "Economy", utc("2026-03-27 20:00"))
    await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    await add_analysis(store, "Tuesday", "Economy", utc("2026-03-28 20:00"))
    await digests.send_due({"discord": sender}, now=utc("2026-03-29 08:00"))
    assert [headlines(r) for _, r in sender.received] == [
        [("Economy", ["Monday"])],
        [("Economy", ["Tuesday"])],
    ]


async def test_nothing_new_sends_nothing_and_records_empty(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    assert (sender.received, report.empty) == ([], ["discord:100"])
    assert await statuses(store) == [("2026-03-28", "empty")]


async def test_send_empty_sends_a_short_note(
    subs: SubscriptionService,
    store: StoreContract,
    clock: Clock,
    sender: RecordingSender,
    fast: Config,
) -> None:
    digests = DigestService(store, fast.with_overrides(digest={"send_empty": True}), clock)
    await subscribe(subs, "Economy 08:00 UTC")
    await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    [(_, reply)] = sender.received
    assert reply.meta == "Nothing new in your categories today."


# --- timing ---------------------------------------------------------------------------------


async def step(
    digests: DigestService, sender: RecordingSender, start: str, end: str, minutes: int = 5
) -> list[tuple[datetime, str]]:
    """Run a pass every few minutes of simulated time; returns (time, channel) per send."""
    sent: list[tuple[datetime, str]] = []
    now, stop = utc(start), utc(end)
    while now <= stop:
        report = await digests.send_due({"discord": sender}, now=now)
        sent.extend((now, ch) for ch in report.sent)
        now += timedelta(minutes=minutes)
    return sent


async def test_each_zone_gets_its_digest_at_its_local_time(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 Europe/Berlin", "discord:1")
    await subscribe(subs, "Economy 08:00 America/New_York", "discord:2")
    await subscribe(subs, "Economy 08:00 Asia/Tokyo", "discord:3")
    for hour in range(0, 24, 2):
        await add_analysis(store, f"News {hour}", "Economy", utc(f"2026-03-27 {hour:02d}:00"))
    sent = await step(digests, sender, "2026-03-27 12:00", "2026-03-28 13:00", minutes=15)
    assert sent == [
        (utc("2026-03-27 23:00"), "discord:3"),  # 08:00 JST
        (utc("2026-03-28 07:00"), "discord:1"),  # 08:00 CET
        (utc("2026-03-28 12:00"), "discord:2"),  # 08:00 EDT
    ]


async def test_spring_forward_nonexistent_time_goes_out_once_at_the_jump(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, clock: Clock
) -> None:
    clock.set(utc("2026-03-28 22:00"))
    await subscribe(subs, "Economy 02:30 Europe/Berlin")
    sent = await step(digests, sender, "2026-03-28 23:00", "2026-03-29 23:00")
    assert sent == []  # nothing new: the ledger says "empty", exactly once
    assert [p for p, _ in await statuses(digests.store)] == ["2026-03-29"]


async def test_dst_days_deliver_once_at_the_right_local_time(
    subs: SubscriptionService,
    digests: DigestService,
    sender: RecordingSender,
    store: StoreContract,
    clock: Clock,
) -> None:
    clock.set(utc("2026-03-28 12:00"))
    await subscribe(subs, "Economy 02:30 Europe/Berlin", "discord:1")
    await subscribe(subs, "Economy 08:00 Europe/Berlin", "discord:2")
    await add_analysis(store, "Spring", "Economy", utc("2026-03-28 20:00"))
    spring = await step(digests, sender, "2026-03-28 22:00", "2026-03-29 08:00")
    assert spring == [
        (utc("2026-03-29 01:00"), "discord:1"),  # 02:30 does not exist: 03:00 CEST
        (utc("2026-03-29 06:00"), "discord:2"),  # 08:00 CEST
    ]
    await step(digests, sender, "2026-10-24 00:00", "2026-10-24 22:00", minutes=60)
    await add_analysis(store, "Autumn", "Economy", utc("2026-10-24 23:00"))
    autumn = await step(digests, sender, "2026-10-24 22:00", "2026-10-25 08:00")
    assert autumn == [
        (utc("2026-10-25 00:30"), "discord:1"),  # first 02:30 (CEST), not again at 01:30 UTC
        (utc("2026-10-25 07:00"), "discord:2"),  # 08:00 CET
    ]


async def test_new_york_days_of_change(
    subs: SubscriptionService,
    digests: DigestService,
    sender: RecordingSender,
    store: StoreContract,
    clock: Clock,
) -> None:
    clock.set(utc("2026-03-07 12:00"))
    await subscribe(subs, "Economy 02:30 America/New_York", "discord:1")
    await subscribe(subs, "Economy 01:30 America/New_York", "discord:2")
    await add_analysis(store, "Spring", "Economy", utc("2026-03-07 20:00"))
    spring = await step(digests, sender, "2026-03-08 04:00", "2026-03-08 09:00")
    assert spring == [
        (utc("2026-03-08 06:30"), "discord:2"),  # 01:30 EST
        (utc("2026-03-08 07:00"), "discord:1"),  # 02:30 does not exist: 03:00 EDT
    ]
    await step(digests, sender, "2026-10-31 00:00", "2026-10-31 22:00", minutes=60)
    await add_analysis(store, "Autumn", "Economy", utc("2026-10-31 23:00"))
    autumn = await step(digests, sender, "2026-11-01 04:00", "2026-11-01 09:00")
    assert autumn == [
        (utc("2026-11-01 05:30"), "discord:2"),  # the first 01:30 (EDT), not again in EST
        (utc("2026-11-01 07:30"), "discord:1"),  # 02:30 EST
    ]


async def test_subscribing_after_todays_time_waits_for_tomorrow(
    subs: SubscriptionService,
    digests: DigestService,
    sender: RecordingSender,
    store: StoreContract,
    clock: Clock,
) -> None:
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 10:00"))
    await subscribe(subs, "Economy 08:00 UTC")  # at 12:00: today's 08:00 is not owed
    sent = await step(digests, sender, "2026-03-27 12:00", "2026-03-28 08:00", minutes=30)
    assert sent == [(utc("2026-03-28 08:00"), "discord:100")]


async def test_downtime_catch_up_within_the_window(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    # the process was down from 07:00 to 13:30: 5.5 hours late, inside catch_up_hours = 6
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 13:30"))
    assert report.sent == ["discord:100"]
    assert await statuses(store) == [("2026-03-28", "sent")]


async def test_too_old_digest_is_skipped_and_logged_then_tomorrow_catches_up(
    subs: SubscriptionService,
    digests: DigestService,
    sender: RecordingSender,
    store: StoreContract,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 14:01"))
    assert (report.skipped, sender.received) == (["discord:100"], [])
    assert "digest_skipped" in caplog.text
    again = await digests.send_due({"discord": sender}, now=utc("2026-03-28 15:00"))
    assert again.skipped == []  # logged once, not every tick
    await digests.send_due({"discord": sender}, now=utc("2026-03-29 08:00"))
    [(_, reply)] = sender.received
    assert headlines(reply) == [("Economy", ["Rates"])]  # not lost: since the last delivery
    assert await statuses(store) == [("2026-03-28", "skipped"), ("2026-03-29", "sent")]


async def test_restart_never_resends_a_sent_period(
    subs: SubscriptionService,
    store: StoreContract,
    fast: Config,
    clock: Clock,
    sender: RecordingSender,
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    first = DigestService(store, fast, clock)
    await first.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    restarted = DigestService(store, fast, clock)
    report = await restarted.send_due({"discord": sender}, now=utc("2026-03-28 08:01"))
    assert (report.sent, len(sender.received)) == ([], 1)


async def test_the_row_is_pending_while_the_platform_has_it(
    subs: SubscriptionService, digests: DigestService, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    seen: list[list[tuple[str, str]]] = []

    class Inspecting(RecordingSender):
        async def send(self, channel: ChannelRef, reply: Reply) -> None:
            seen.append(await statuses(store))

    await digests.send_due({"discord": Inspecting()}, now=utc("2026-03-28 08:00"))
    assert seen == [[("2026-03-28", "pending")]]
    assert await statuses(store) == [("2026-03-28", "sent")]


# --- a process killed mid fan-out ---------------------------------------------------------


async def test_killed_mid_fanout_restart_sends_the_rest_and_repeats_only_in_flight(
    config: Config, fast: Config, clock: Clock
) -> None:
    channels = [f"discord:{n}" for n in range(1, 41)]
    store = await Store.open(config.storage.path)
    subs = SubscriptionService(store, fast, clock)
    for ch in channels:
        await subscribe(subs, "Economy 08:00 UTC", ch)
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    before = RecordingSender(hang_after_accept={"3", "7", "11"}, expect=20)
    digests = DigestService(store, fast, clock, concurrency=8)
    task = asyncio.create_task(digests.send_due({"discord": before}, now=utc("2026-03-28 08:00")))
    await asyncio.wait_for(before.arrived.wait(), 5)
    task.cancel()  # the process dies here
    with pytest.raises(asyncio.CancelledError):
        await task
    await store.close()

    store = await Store.open(config.storage.path)  # restart, five minutes later
    marked = {ch for ch in channels if ("2026-03-28", "sent") in await statuses(store, ch)}
    after = RecordingSender()
    await DigestService(store, fast, clock).send_due(
        {"discord": after}, now=utc("2026-03-28 08:05")
    )
    total = before.channels() + after.channels()
    assert set(total) == set(channels)  # nothing lost
    assert not marked & set(after.channels())  # nothing marked sent is sent again
    assert max(total.values()) <= 2
    repeated = {ch for ch, n in total.items() if n == 2}
    assert {"discord:3", "discord:7", "discord:11"} <= repeated  # in flight: may come twice
    assert repeated.isdisjoint(marked)
    for ch in channels:
        assert await statuses(store, ch) == [("2026-03-28", "sent")]
    await store.close()


async def test_pending_row_older_than_the_window_is_skipped(
    subs: SubscriptionService, digests: DigestService, store: StoreContract, sender: RecordingSender
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    hanging = RecordingSender(hang_after_accept={"100"}, expect=1)
    task = asyncio.create_task(digests.send_due({"discord": hanging}, now=utc("2026-03-28 08:00")))
    await asyncio.wait_for(hanging.arrived.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    later = DigestService(store, digests.config, digests.clock)
    report = await later.send_due({"discord": sender}, now=utc("2026-03-28 20:00"))
    assert (report.skipped, sender.received) == (["discord:100"], [])


async def test_repeatedly_interrupted_period_ends_failed(
    subs: SubscriptionService, store: StoreContract, fast: Config, clock: Clock
) -> None:
    config = fast.with_overrides(digest={"max_attempts": 2})
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-28 07:00"))
    for minute in range(2):  # killed twice while the send was in flight
        hanging = RecordingSender(hang_after_accept={"100"}, expect=1)
        now = utc(f"2026-03-28 08:0{minute}")
        task = asyncio.create_task(
            DigestService(store, config, clock).send_due({"discord": hanging}, now=now)
        )
        await asyncio.wait_for(hanging.arrived.wait(), 5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    third = RecordingSender()
    report = await DigestService(store, config, clock).send_due(
        {"discord": third}, now=utc("2026-03-28 08:02")
    )
    assert (report.failed, third.received) == (["discord:100"], [])
    assert await statuses(store) == [("2026-03-28", "failed")]


# --- who gets what ----------------------------------------------------------------------------


async def test_unsubscribe_stops_delivery_and_inactive_channels_are_skipped(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC", "discord:1")
    await subscribe(subs, "Economy 08:00 UTC", "discord:2")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    await subs.unsubscribe(request("unsubscribe", "", "discord:1"))
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    assert report.sent == ["discord:2"]
    assert list(sender.channels()) == ["discord:2"]


async def test_channels_of_platforms_not_running_are_left_for_later(
    subs: SubscriptionService, digests: DigestService, sender: RecordingSender, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC", "telegram:-42")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    assert report == type(report)()
    telegram = RecordingSender(platform="telegram")
    later = await digests.send_due({"telegram": telegram}, now=utc("2026-03-28 09:00"))
    assert later.sent == ["telegram:-42"]


async def test_channel_gone_deactivates_the_subscription(
    subs: SubscriptionService, digests: DigestService, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    sender = RecordingSender(gone={"100"})
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    assert (report.deactivated, report.failed) == (["discord:100"], ["discord:100"])
    sub = await store.subscriptions.get(ChannelRef("discord", "100"))
    assert sub is not None and not sub.active
    [row] = await store.deliveries.for_subscription(sub.id)
    assert row.status == "failed"
    await add_analysis(store, "More", "Economy", utc("2026-03-28 20:00"))
    later = await digests.send_due({"discord": sender}, now=utc("2026-03-29 08:00"))
    assert (later.sent, later.failed, sender.calls["100"]) == ([], [], 1)


async def test_channel_moved_follows_the_new_id_and_delivers_there(
    subs: SubscriptionService, digests: DigestService, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC", "telegram:-5")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    sender = RecordingSender(platform="telegram", moved={"-5": "-1005"})
    report = await digests.send_due({"telegram": sender}, now=utc("2026-03-28 08:00"))
    assert (report.moved, report.sent) == (["telegram:-5 -> telegram:-1005"], ["telegram:-1005"])
    assert list(sender.channels()) == ["telegram:-1005"]
    assert await statuses(store, "telegram:-1005") == [("2026-03-28", "sent")]


async def test_transient_failures_are_retried_then_delivered(
    subs: SubscriptionService, digests: DigestService, store: StoreContract
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    sender = RecordingSender(fail={"100": 2})
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    assert (report.sent, sender.calls["100"]) == (["discord:100"], 3)
    sub = await store.subscriptions.get(ChannelRef("discord", "100"))
    assert sub is not None
    [row] = await store.deliveries.for_subscription(sub.id)
    assert (row.status, row.attempts) == ("sent", 3)


async def test_transient_failures_end_failed_after_max_attempts(
    subs: SubscriptionService, store: StoreContract, fast: Config, clock: Clock
) -> None:
    digests = DigestService(store, fast.with_overrides(digest={"max_attempts": 3}), clock)
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 20:00"))
    sender = RecordingSender(fail={"100": 99})
    report = await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    assert (report.failed, sender.calls["100"]) == (["discord:100"], 3)
    assert await statuses(store) == [("2026-03-28", "failed")]
    again = await digests.send_due({"discord": sender}, now=utc("2026-03-28 09:00"))
    assert (again.failed, sender.calls["100"]) == ([], 3)  # failed is final for the day


# --- preview -----------------------------------------------------------------------------------


async def test_preview_of_a_channel_writes_no_ledger_row(
    subs: SubscriptionService, digests: DigestService, store: StoreContract, clock: Clock
) -> None:
    await subscribe(subs, "Economy 08:00 Europe/Berlin")
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 10:00"))
    reply = await digests.preview(channel=ChannelRef("discord", "100"))
    assert reply is not None and reply.title == "Digest preview · Friday 27 March 2026"
    assert await statuses(store) == []


async def test_preview_by_category(digests: DigestService, store: StoreContract) -> None:
    await add_analysis(store, "Rates", "Economy", utc("2026-03-27 10:00"))
    await add_analysis(store, "Goal", "Sports", utc("2026-03-27 11:00"))
    reply = await digests.preview(category="economy")
    assert reply is not None
    groups = [b for b in reply.blocks if isinstance(b, Group)]
    assert sum(len(g.blocks) for g in groups) == 1
    assert [g.heading for g in groups] == ["Economy"]
    assert [i.title for i in groups[0].blocks if isinstance(i, Item)] == ["Rates"]
    assert await digests.preview(category="Health") is None


async def test_preview_errors_are_specific(
    subs: SubscriptionService, digests: DigestService
) -> None:
    with pytest.raises(NotFound, match="this channel has no digest subscription"):
        await digests.preview(channel=ChannelRef("discord", "404"))
    with pytest.raises(BadArguments, match=r"Unknown category 'Econ'\. Did you mean Economy\?"):
        await digests.preview(category="Econ")
    await subscribe(subs, "Economy")
    with pytest.raises(NotFound, match="this channel is not subscribed to Sports"):
        await digests.preview(channel=ChannelRef("discord", "100"), category="sports")


async def test_preview_shows_what_the_next_digest_would_hold(
    subs: SubscriptionService,
    digests: DigestService,
    sender: RecordingSender,
    store: StoreContract,
    clock: Clock,
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Delivered", "Economy", utc("2026-03-27 20:00"))
    await digests.send_due({"discord": sender}, now=utc("2026-03-28 08:00"))
    await add_analysis(store, "Since then", "Economy", utc("2026-03-28 09:00"))
    clock.set(utc("2026-03-28 10:00"))
    reply = await digests.preview(channel=ChannelRef("discord", "100"))
    assert reply is not None and headlines(reply) == [("Economy", ["Since then"])]


async def test_a_pending_row_from_an_earlier_day_is_superseded(
    subs: SubscriptionService, digests: DigestService, store: StoreContract, sender: RecordingSender
) -> None:
    await subscribe(subs, "Economy 08:00 UTC")
    await add_analysis(store, "Monday", "Economy", utc("2026-03-27 20:00"))
    hanging = RecordingSender(hang_after_accept={"100"}, expect=1)
    task = asyncio.create_task(digests.send_due({"discord": hanging}, now=utc("2026-03-28 08:00")))
    await asyncio.wait_for(hanging.arrived.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await add_analysis(store, "Tuesday", "Economy", utc("2026-03-28 20:00"))
    later = DigestService(store, digests.config, digests.clock)  # down for a day
    await later.send_due({"discord": sender}, now=utc("2026-03-29 08:00"))
    [(_, reply)] = sender.received
    assert headlines(reply) == [("Economy", ["Tuesday", "Monday"])]  # nothing lost
    assert await statuses(store) == [("2026-03-28", "skipped"), ("2026-03-29", "sent")]
