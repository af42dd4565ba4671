"""The Discord adapter end to end: the real discord.py client against the local server.

The server (tests/support/discord_server.py) validates what Discord validates and
records everything; tests dispatch slash commands, buttons and messages through its
gateway and assert on what the bot sent back over REST.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from adapters.discord_adapter import DiscordAdapter
from bot.config import Config
from bot.core import Core
from bot.errors import ChannelGone, PrismError, SendFailed
from bot.models import (
    Analysis,
    Article,
    ChannelRef,
    Draft,
    Generator,
    Group,
    Item,
    Reply,
    Section,
)
from tests.support.discord_bot import Bot, analyze, bot, discord_config, errors_free
from tests.support.discord_server import (
    ALL_PERMISSIONS,
    BASIC_MEMBER,
    MANAGE_CHANNELS,
    DiscordServer,
    discord_server,
)
from tests.support.site import Site, article_html, article_site

__all__ = ["article_site", "bot", "discord_server"]  # fixtures used by this module


async def test_start_registers_every_visible_command_globally(
    bot: Bot, discord_server: DiscordServer
) -> None:
    names = {c["name"] for c in discord_server.commands[None]}
    assert names == {
        "start",
        "help",
        "analyze",
        "related",
        "categories",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "digest",
        "language",
    }
    assert len(discord_server.identifies) == 1


class LongAnalyzer:
    """Writes a very long draft (12 sections of long paragraphs): the splitting case."""

    backend = "offline"
    model = "long"
    prompt_version = "test"
    translates = False

    async def analyze(self, article: Article, language: str | None = None) -> Draft:
        para = " ".join(article.text.split()[:180])
        sections = tuple(Section(f"Part {i} of the story", (para,) * 4) for i in range(12))
        return Draft(
            headline=article.title,
            dek=para,
            category="Economy",
            sections=sections,
            tags=("budget",),
            language="en",
            generator=Generator("offline", "long", "test"),
        )

    async def translate(self, source: Analysis, article: Article, language: str) -> Draft:
        raise AssertionError("an offline stand-in is never asked to translate")

    async def analyze_many(self, articles: Sequence[Article]) -> list[Draft | PrismError]:
        return [await self.analyze(a) for a in articles]

    async def aclose(self) -> None:
        return None


async def test_analyze_defers_then_follows_up_with_a_valid_analysis(
    bot: Bot, discord_server: DiscordServer, article_site: Site
) -> None:
    url = article_site.add_page("/budget.html", article_html("Council approves transport budget"))
    ix = await analyze(bot, url)
    assert ix.response_type == 5  # deferred: "thinking…"
    assert not ix.deferred_ephemeral
    (message,) = ix.messages
    assert message.kind == "original" and not message.ephemeral
    embed = message.embeds[0]
    assert embed["title"] == "Council approves transport budget"
    assert embed["url"] == url
    assert message.payload["allowed_mentions"] == {"parse": []}
    related = [c for c in message.custom_ids if c.startswith("prism:related:")]
    assert len(related) == 1 and message.link_urls == [url]
    errors_free(discord_server)


async def test_very_long_analysis_is_split_into_messages_within_the_limits(
    config: Config, discord_server: DiscordServer, article_site: Site
) -> None:
    bot = Bot(discord_config(config, discord_server), discord_server, analyzer=LongAnalyzer())
    await bot.start()
    try:
        url = article_site.add_page("/long.html", article_html("A long story", repeat=8))
        ix = await analyze(bot, url)
    finally:
        await bot.stop()
    assert len(ix.messages) >= 2
    assert ix.messages[0].kind == "original"
    assert all(not m.ephemeral for m in ix.messages)
    sizes = [sum(_embed_size(e) for e in m.embeds) for m in ix.messages]
    assert all(size <= 6000 for size in sizes)
    fields = [f["name"] for m in ix.messages for e in m.embeds for f in e.get("fields", [])]
    assert fields.count("Part 11 of the story") == 1
    assert ix.messages[-1].custom_ids and not ix.messages[0].custom_ids
    errors_free(discord_server)


def _embed_size(embed: dict[str, Any]) -> int:
    fields = sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    footer = len(embed.get("footer", {}).get("text", ""))
    return len(embed.get("title", "")) + len(embed.get("description", "")) + fields + footer


async def test_subscribe_without_manage_channels_is_refused_privately_and_stores_nothing(
    bot: Bot, discord_server: DiscordServer
) -> None:
    ix = await discord_server.slash("subscribe", {"category": "Economy"}, permissions=BASIC_MEMBER)
    await bot.answered(ix)
    assert ix.response_type == 4  # answered at once, no work deferred
    (message,) = ix.messages
    assert message.ephemeral
    assert "Manage Channels" in message.text()
    assert bot.core is not None
    channel = ChannelRef("discord", discord_server.channel_id)
    assert await bot.core.store.subscriptions.get(channel) is None


async def test_subscribe_with_manage_channels_is_stored_with_time_and_zone(
    bot: Bot, discord_server: DiscordServer
) -> None:
    options = {"category": "Economy", "time": "08:00", "timezone": "Europe/Berlin"}
    ix = await discord_server.slash(
        "subscribe", options, permissions=BASIC_MEMBER | MANAGE_CHANNELS
    )
    await bot.answered(ix)
    assert ix.response_type == 5 and ix.deferred_ephemeral  # settings changes are private
    assert all(m.ephemeral for m in ix.messages)
    assert bot.core is not None
    saved = await bot.core.store.subscriptions.get(ChannelRef("discord", discord_server.channel_id))
    assert saved is not None
    assert (saved.categories, saved.time, saved.timezone) == (
        ("Economy",),
        "08:00",
        "Europe/Berlin",
    )
    errors_free(discord_server)


async def test_guild_only_command_in_a_dm_is_refused(
    bot: Bot, discord_server: DiscordServer
) -> None:
    ix = await discord_server.slash(
        "subscribe", {"category": "Economy"}, guild=False, permissions=ALL_PERMISSIONS
    )
    await bot.answered(ix)
    (message,) = ix.messages
    assert message.ephemeral and "server channel" in message.text()


async def test_analyze_works_in_a_dm(
    bot: Bot, discord_server: DiscordServer, article_site: Site
) -> None:
    url = article_site.add_page("/dm.html", article_html("Harbour district gets night buses"))
    ix = await analyze(bot, url, guild=False)
    assert ix.messages[0].embeds[0]["title"] == "Harbour district gets night buses"


async def test_everyone_in_a_title_pings_nobody(
    bot: Bot, discord_server: DiscordServer, article_site: Site
) -> None:
    url = article_site.add_page("/ping.html", article_html("@everyone council approves budget"))
    ix = await analyze(bot, url)
    title = ix.messages[0].embeds[0]["title"]
    assert "@everyone" not in title and "@\u200beveryone" in title
    assert all(m.payload.get("allowed_mentions") == {"parse": []} for m in discord_server.messages)


async def test_send_to_a_deleted_channel_raises_channel_gone(
    bot: Bot, discord_server: DiscordServer
) -> None:
    assert bot.adapter is not None
    discord_server.deleted_channels.add("1190000000000000001")
    with pytest.raises(ChannelGone, match="404"):
        await bot.adapter.send(ChannelRef("discord", "1190000000000000001"), DIGEST)


async def test_send_to_a_channel_without_access_raises_channel_gone(
    bot: Bot, discord_server: DiscordServer
) -> None:
    assert bot.adapter is not None
    discord_server.forbidden_channels.add(discord_server.other_channel_id)
    with pytest.raises(ChannelGone, match="403"):
        await bot.adapter.send(ChannelRef("discord", discord_server.other_channel_id), DIGEST)


async def test_send_waits_out_a_429_then_succeeds(bot: Bot, discord_server: DiscordServer) -> None:
    assert bot.adapter is not None
    channel = discord_server.channel_id
    discord_server.rate_limited[channel] = [0.05]
    await bot.adapter.send(ChannelRef("discord", channel), DIGEST)
    statuses = [
        c.status for c in discord_server.calls_to("POST", rf".*/channels/{channel}/messages")
    ]
    assert statuses == [429, 200]
    assert len(discord_server.channel_messages()) == 1


async def test_send_blocked_without_discord_rate_limit_headers_is_send_failed(
    bot: Bot, discord_server: DiscordServer
) -> None:
    assert bot.adapter is not None
    discord_server.cloudflare_blocked.add(discord_server.channel_id)
    with pytest.raises(SendFailed, match="429"):
        await bot.adapter.send(ChannelRef("discord", discord_server.channel_id), DIGEST)


async def test_send_before_start_is_send_failed(
    config: Config, discord_server: DiscordServer
) -> None:
    core = await Core.open(config)
    try:
        adapter = DiscordAdapter(discord_config(config, discord_server), core)
        with pytest.raises(SendFailed, match="not connected"):
            await adapter.send(ChannelRef("discord", discord_server.channel_id), DIGEST)
    finally:
        await core.aclose()


DIGEST = Reply(
    kind="digest",
    title="Economy digest",
    blocks=(
        Group(
            "Economy",
            tuple(
                Item(f"Story {i}", "Lead.", "Economy · 2 min read", f"https://e.example/{i}", i + 1)
                for i in range(3)
            ),
        ),
    ),
)


async def test_digest_is_delivered_to_a_channel_with_open_buttons(
    bot: Bot, discord_server: DiscordServer
) -> None:
    assert bot.adapter is not None
    await bot.adapter.send(ChannelRef("discord", discord_server.channel_id), DIGEST)
    (message,) = discord_server.channel_messages()
    assert message.embeds[0]["title"] == "Economy digest"
    assert message.custom_ids == ["prism:open:1", "prism:open:2", "prism:open:3"]
    assert message.payload["allowed_mentions"] == {"parse": []}
    errors_free(discord_server)


async def test_related_button_works_after_a_client_restart(
    config: Config, discord_server: DiscordServer, article_site: Site
) -> None:
    bot = Bot(discord_config(config, discord_server), discord_server)
    await bot.start()
    url = article_site.add_page("/restart.html", article_html("Trams return to the harbour"))
    ix = await analyze(bot, url)
    await bot.stop()
    posted = ix.messages[0]
    (custom_id,) = [c for c in posted.custom_ids if c.startswith("prism:related:")]

    await bot.start()  # a new client and core: nothing of the old one survives in memory
    try:
        click = await discord_server.click(posted, custom_id)
        await bot.answered(click)
    finally:
        await bot.stop()
    assert click.response_type == 5 and click.deferred_ephemeral
    (answer,) = click.messages
    assert answer.ephemeral
    assert "Trams return to the harbour" in answer.text() or "related" in answer.text().lower()
    assert len(discord_server.identifies) == 2
    errors_free(discord_server)


async def test_open_button_shows_the_stored_analysis(
    bot: Bot, discord_server: DiscordServer, article_site: Site
) -> None:
    url = article_site.add_page("/open.html", article_html("Fares may rise in autumn"))
    ix = await analyze(bot, url)
    analysis_id = ix.messages[0].custom_ids[0].rsplit(":", 1)[1]
    assert bot.adapter is not None
    digest = Reply(
        kind="digest", title="Digest", blocks=(Item("Fares", analysis_id=int(analysis_id)),)
    )
    await bot.adapter.send(ChannelRef("discord", discord_server.channel_id), digest)
    (posted,) = discord_server.channel_messages()
    click = await discord_server.click(posted, f"prism:open:{analysis_id}")
    await bot.answered(click)
    assert click.messages[0].embeds[0]["title"] == "Fares may rise in autumn"


async def test_language_follows_the_guild_locale_until_an_admin_sets_one(
    bot: Bot, discord_server: DiscordServer
) -> None:
    discord_server.guild_locale = "ja"
    admin = BASIC_MEMBER | MANAGE_CHANNELS
    shown = await discord_server.slash("language", permissions=admin)
    await bot.answered(shown)
    assert "日本語 (ja)" in json.dumps(shown.messages[-1].payload, ensure_ascii=False)
    chosen = await discord_server.slash("language", {"code": "ar"}, permissions=admin)
    await bot.answered(chosen)
    assert bot.core is not None
    channel = str(ChannelRef("discord", discord_server.channel_id))
    assert await bot.core.store.channels.language(channel) == "ar"
    errors_free(discord_server)
