"""Digests in each channel's language: each article once, its variant in the channel's
language where one is stored, the digest's own words in that language too."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.digests.service import DigestService
from bot.digests.subscriptions import SubscriptionService
from bot.models import ChannelRef, Draft, Group, Item
from bot.store import Store
from tests.support.digests import Clock, RecordingSender, add_analysis, request, utc

GERMAN_HEADLINE = "Zinsen bleiben unverändert"


async def two_channels(store: Store, config: Config, clock: Clock) -> None:
    subs = SubscriptionService(store, config, clock)
    for channel in ("discord:de", "discord:en"):
        await subs.subscribe(request("subscribe", "Economy 08:00 UTC", channel))
    await store.channels.set_language("discord:de", "de", clock())
    english = await add_analysis(store, "Rates held", "Economy", utc("2026-03-27 20:00"))
    article = await store.analyses.article(english.article_id)
    assert article is not None
    draft_de = await german_draft(store, english.id)
    await store.analyses.save(article, draft_de, created_at=utc("2026-03-27 21:00"))


async def german_draft(store: Store, analysis_id: int) -> Draft:
    a = await store.analyses.by_id(analysis_id)
    assert a is not None
    return Draft(
        headline=GERMAN_HEADLINE,
        dek="Die Notenbank hält die Zinsen. Was bedeutet das?",
        category=a.category,
        sections=a.sections,
        tags=a.tags,
        language="de",
        generator=replace(a.generator, prompt_version="claude-translate-v1"),
    )


def headlines(reply: object) -> list[str]:
    blocks = getattr(reply, "blocks", ())
    return [
        i.title for g in blocks if isinstance(g, Group) for i in g.blocks if isinstance(i, Item)
    ]


async def test_each_channel_gets_each_article_once_in_its_language(
    store: Store, config: Config
) -> None:
    clock = Clock(utc("2026-03-27 12:00"))
    await two_channels(store, config, clock)
    sender = RecordingSender()
    await DigestService(store, config, clock).send_due(
        {"discord": sender}, now=utc("2026-03-28 08:00")
    )
    got = dict(sender.received)
    assert headlines(got["discord:de"]) == [GERMAN_HEADLINE]
    assert headlines(got["discord:en"]) == ["Rates held"]
    assert (got["discord:de"].title or "").startswith("Tägliche Übersicht")
    assert (got["discord:en"].title or "").startswith("Daily digest")


async def test_a_preview_follows_the_channel_language(store: Store, config: Config) -> None:
    clock = Clock(utc("2026-03-28 07:00"))
    await two_channels(store, config, clock)
    service = DigestService(store, config, clock)
    preview = await service.preview(channel=ChannelRef.parse("discord:de"))
    assert preview is not None
    assert headlines(preview) == [GERMAN_HEADLINE]
    assert (preview.title or "").startswith("Vorschau der Übersicht")
