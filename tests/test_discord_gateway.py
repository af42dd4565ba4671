"""The Discord adapter's lifecycle, gateway, bad links, mentions, digests and logs,
with the real discord.py client against the local Discord-compatible server."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord_adapter import DiscordAdapter
from bot.config import Config
from bot.core import Core
from bot.errors import ConfigError, TimedOut
from bot.models import ChannelRef, Reply, Request
from tests.support.bad_links import BLOCKED, FAST_FETCH, NOT_LINKS, SITE_FAILURES
from tests.support.digests import add_analysis
from tests.support.discord_bot import Bot, analyze, bot, discord_config, errors_free
from tests.support.discord_server import (
    MANAGE_CHANNELS,
    MESSAGE_CONTENT_INTENT,
    DiscordServer,
    discord_server,
)
from tests.support.process import spawn_bot
from tests.support.site import Site, article_html, article_site

__all__ = ["article_site", "bot", "discord_server"]  # fixtures used by this module


async def test_heartbeats_are_sent_and_the_guild_arrives(
    bot: Bot, discord_server: DiscordServer
) -> None:
    assert discord_server.heartbeats >= 1  # discord.py beats once right after HELLO
    assert bot.adapter is not None and bot.adapter.client is not None
    (guild,) = bot.adapter.client.guilds
    assert str(guild.id) == discord_server.guild_id
    assert discord_server.identifies[0]["intents"] & MESSAGE_CONTENT_INTENT == 0


async def test_a_dropped_connection_resumes_at_the_resume_url(
    bot: Bot, discord_server: DiscordServer
) -> None:
    await discord_server.drop_connections()
    await discord_server.wait_for(lambda: discord_server.resumes, within=10)
    assert discord_server.gateway_paths == ["/gateway", "/resume"]
    assert len(discord_server.identifies) == 1


async def test_an_invalidated_session_reconnects_to_the_configured_gateway(
    bot: Bot, discord_server: DiscordServer
) -> None:
    await discord_server.invalidate_sessions()
    await discord_server.wait_for(lambda: len(discord_server.identifies) == 2, within=10)
    assert discord_server.gateway_paths == ["/gateway", "/gateway"]


async def test_stop_restores_discord_py_endpoints(
    config: Config, discord_server: DiscordServer
) -> None:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    bot = Bot(discord_config(config, discord_server), discord_server)
    await bot.start()
    try:
        assert discord_server.api_base_url == Route.BASE
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == discord_server.gateway_url
    finally:
        await bot.stop()
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


async def test_without_gateway_url_the_server_names_its_gateway(
    config: Config, discord_server: DiscordServer
) -> None:
    bot = Bot(discord_config(config, discord_server, gateway_url=""), discord_server)
    await bot.start()
    await bot.stop()
    assert discord_server.calls_to("GET", r"/api/v10/gateway/bot")
    assert discord_server.gateway_paths == ["/gateway"]


async def test_dev_guild_ids_register_the_commands_in_that_guild_only(
    config: Config, discord_server: DiscordServer, article_site: Site
) -> None:
    guild = int(discord_server.guild_id)
    bot = Bot(discord_config(config, discord_server, dev_guild_ids=[guild]), discord_server)
    await bot.start()
    try:
        assert None not in discord_server.commands
        assert {c["name"] for c in discord_server.commands[str(guild)]} >= {"analyze", "subscribe"}
        url = article_site.add_page("/guild.html", article_html("Ferry timetable changes"))
        ix = await analyze(bot, url)
    finally:
        await bot.stop()
    assert ix.messages[0].embeds[0]["title"] == "Ferry timetable changes"


async def test_registered_options_carry_choices_autocomplete_and_permissions(
    bot: Bot, discord_server: DiscordServer
) -> None:
    subscribe = discord_server.command("subscribe")
    assert int(subscribe["default_member_permissions"]) == MANAGE_CHANNELS
    assert subscribe["contexts"] == [0]  # guild only
    category, time, zone = subscribe["options"]
    assert [c["value"] for c in category["choices"]] == list(bot.config.categories.names)
    assert (category["required"], time.get("required", False)) == (True, False)
    assert zone["autocomplete"] is True
    analyze_cmd = discord_server.command("analyze")
    assert analyze_cmd.get("default_member_permissions") is None
    assert 1 in (analyze_cmd.get("contexts") or [0, 1, 2])  # usable in DMs


async def test_timezone_autocomplete_matches_the_typed_prefix(
    bot: Bot, discord_server: DiscordServer
) -> None:
    ix = await discord_server.autocomplete(
        "subscribe", "timezone", "Europe/Ber", {"category": "Economy"}
    )
    await bot.answered(ix)
    assert ix.response_type == 8
    assert [c["value"] for c in ix.choices] == ["Europe/Berlin"]
    ix = await discord_server.autocomplete("subscribe", "timezone", "berl")
    await bot.answered(ix)
    assert "Europe/Berlin" in [c["value"] for c in ix.choices]
    ix = await discord_server.autocomplete("subscribe", "timezone", "")
    await bot.answered(ix)
    assert len(ix.choices) == 25


async def test_related_autocomplete_offers_recent_analyses(
    bot: Bot, discord_server: DiscordServer, article_site: Site
) -> None:
    url = article_site.add_page("/recent.html", article_html("Night buses extend to the harbour"))
    done = await analyze(bot, url)
    analysis_id = done.messages[0].custom_ids[0].rsplit(":", 1)[1]
    ix = await discord_server.autocomplete("related", "query", "night")
    await bot.answered(ix)
    assert ix.choices == [
        {"name": f"#{analysis_id} Night buses extend to the harbour", "value": analysis_id}
    ]


async def test_every_bad_link_gets_its_own_answer_privately(
    config: Config, discord_server: DiscordServer, article_site: Site
) -> None:
    config = discord_config(config.with_overrides(fetch=FAST_FETCH), discord_server)
    bot = Bot(config, discord_server)
    adapter = await bot.start()
    assert bot.core is not None
    cases = [*NOT_LINKS, *BLOCKED[:3], *(article_site.url(p) for p, _ in SITE_FAILURES)]
    try:
        for link in cases:
            expected = await bot.core.handle(Request("analyze", link, ChannelRef("test", "x"), "u"))
            (reply,) = expected
            assert reply.error is not None, link
            ix = await analyze(bot, link)
            assert ix.original == "deleted", link  # the public "thinking…" is removed
            (message,) = ix.messages
            assert message.ephemeral, link
            assert message.embeds[0]["description"] == reply.blocks[0].text, link  # type: ignore[union-attr]
    finally:
        await adapter.stop()
        await bot.stop()
    errors_free(discord_server)


async def test_every_blocked_address_is_refused_without_a_fetch(
    bot: Bot, discord_server: DiscordServer, article_site: Site
) -> None:
    for link in BLOCKED:
        ix = await analyze(bot, link)
        (message,) = ix.messages
        assert message.ephemeral, link
        assert message.embeds[0]["description"], link
    assert sum(article_site.hits.values()) == 0


async def test_with_read_messages_a_link_in_a_mention_is_analysed(
    config: Config, discord_server: DiscordServer, article_site: Site
) -> None:
    bot = Bot(discord_config(config, discord_server, read_messages=True), discord_server)
    await bot.start()
    url = article_site.add_page("/mention.html", article_html("Tram line reopens in May"))
    try:
        assert discord_server.identifies[0]["intents"] & MESSAGE_CONTENT_INTENT
        await discord_server.say(f"what about this one {url}")  # no mention: ignored
        await discord_server.say(
            f"<@{discord_server.app_id}> please look at {url}", mention_bot=True
        )
        await discord_server.wait_for(lambda: discord_server.channel_messages())
        assert bot.adapter is not None
        await bot.adapter.idle()
    finally:
        await bot.stop()
    (message,) = discord_server.channel_messages()
    assert message.embeds[0]["title"] == "Tram line reopens in May"
    assert message.payload["allowed_mentions"] == {"parse": []}
    assert discord_server.typing == [discord_server.channel_id]
    assert article_site.hits["/mention.html"] == 1


async def test_a_digest_is_delivered_and_a_deleted_channel_deactivates(
    bot: Bot, discord_server: DiscordServer
) -> None:
    assert bot.core is not None and bot.adapter is not None
    now = datetime.now(UTC)
    await add_analysis(bot.core.store, "Rates held steady", "Economy", now - timedelta(hours=1))
    at = (now + timedelta(minutes=2)).strftime("%H:%M")
    for channel in (discord_server.channel_id, discord_server.other_channel_id):
        ix = await discord_server.slash(
            "subscribe",
            {"category": "Economy", "time": at, "timezone": "UTC"},
            permissions=MANAGE_CHANNELS,
            channel_id=channel,
        )
        await bot.answered(ix)
    discord_server.deleted_channels.add(discord_server.other_channel_id)
    report = await bot.core.digests.send_due(
        {"discord": bot.adapter}, now=now + timedelta(minutes=4)
    )
    assert report.sent == [f"discord:{discord_server.channel_id}"]
    assert report.deactivated == [f"discord:{discord_server.other_channel_id}"]
    (digest,) = discord_server.channel_messages()
    assert "Rates held steady" in digest.text()
    assert any(c.startswith("prism:open:") for c in digest.custom_ids)
    gone = await bot.core.store.subscriptions.get(
        ChannelRef("discord", discord_server.other_channel_id)
    )
    assert gone is not None and not gone.active


async def test_stop_finishes_a_reply_in_flight(
    bot: Bot, discord_server: DiscordServer, article_site: Site
) -> None:
    url = article_site.add_page("/inflight.html", article_html("Budget vote delayed"))
    ix = await discord_server.slash("analyze", {"url": url})
    await discord_server.wait_for(lambda: ix.acked)
    await bot.stop()  # stop right after the deferral: the follow-up still goes out
    assert [m.kind for m in ix.messages] == ["original"]


async def test_a_rejected_token_is_a_config_error_that_does_not_show_it(
    config: Config, discord_server: DiscordServer
) -> None:
    config = discord_config(config, discord_server).with_overrides(
        discord={"token": "wrong-token-123"}
    )
    core = await Core.open(config)
    adapter = DiscordAdapter(config, core, guild_ready_timeout=0.05)
    try:
        with pytest.raises(ConfigError, match=r"\[discord\] token: rejected") as caught:
            await adapter.start()
    finally:
        await core.aclose()
    assert "wrong-token-123" not in str(caught.value)


async def test_no_token_is_a_config_error(config: Config) -> None:
    core = await Core.open(config)
    try:
        with pytest.raises(ConfigError, match=r"\[discord\] token: not set"):
            await DiscordAdapter(config, core).start()
    finally:
        await core.aclose()


async def test_the_token_appears_nowhere_in_the_logs(
    config: Config,
    discord_server: DiscordServer,
    article_site: Site,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = Bot(discord_config(config, discord_server), discord_server)
    await bot.start()
    try:
        url = article_site.add_page("/logs.html", article_html("Bridge repairs start"))
        await analyze(bot, url)
        assert bot.adapter is not None
        await bot.adapter.send(ChannelRef("discord", discord_server.channel_id), (await _info(bot)))
        await discord_server.drop_connections()
        await discord_server.wait_for(lambda: discord_server.resumes, within=10)
    finally:
        await bot.stop()
    discord_records = [r for r in caplog.records if r.name.startswith("discord")]
    assert len(discord_records) > 10  # discord.py did log at DEBUG: the check is not vacuous
    assert discord_server.token not in caplog.text
    assert all(discord_server.token not in r.getMessage() for r in caplog.records)


async def _info(bot: Bot) -> Reply:
    assert bot.core is not None
    (reply,) = await bot.core.handle(Request("categories", "", ChannelRef("discord", "1"), "u"))
    return reply


async def test_prism_bot_run_serves_discord_from_the_config_file(
    tmp_path: Path, discord_server: DiscordServer, article_site: Site
) -> None:
    """The "done when" of the issue: `prism-bot run` registers the commands and answers,
    stops cleanly on SIGTERM, and its DEBUG logs never show the token."""
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f"""
[storage]
path = "{tmp_path / "run.db"}"
[log]
level = "DEBUG"
[fetch]
allow_networks = ["127.0.0.0/8"]
[discord]
token = "{discord_server.token}"
api_base_url = "{discord_server.api_base_url}"
gateway_url = "{discord_server.gateway_url}"
""",
        encoding="utf-8",
    )
    process = await spawn_bot("run", "--config", str(config_file))
    try:
        await discord_server.wait_for(lambda: discord_server.commands.get(None), within=30)
        await discord_server.wait_for(lambda: discord_server.identifies, within=30)
        url = article_site.add_page("/run.html", article_html("Ring road works begin"))
        await discord_server.wait_for(lambda: any(s.identified for s in discord_server.sessions))
        ix = await discord_server.slash("analyze", {"url": url})
        await discord_server.wait_for(lambda: ix.messages, within=30)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()[-2000:]
    assert ix.messages[0].embeds[0]["title"] == "Ring road works begin"
    logs = out.decode() + err.decode()
    assert "discord.ready" in logs and "request" in logs  # the logs were really written
    assert discord_server.token not in logs


async def test_an_expired_interaction_is_logged_and_the_bot_keeps_serving(
    bot: Bot, discord_server: DiscordServer, caplog: pytest.LogCaptureFixture
) -> None:
    discord_server.deadline_s = 0.0  # every interaction has expired when the bot answers
    ix = await discord_server.slash("categories")
    await discord_server.wait_for(lambda: ix.errors)
    assert bot.adapter is not None
    await bot.adapter.idle()
    assert ix.errors[0] == 10062 and not ix.acked
    assert "discord.command_error" in caplog.text
    discord_server.deadline_s = 3.0
    ok = await discord_server.slash("categories")
    await bot.answered(ok)
    assert "Categories" in ok.messages[0].text()


async def test_a_refused_follow_up_is_logged(
    bot: Bot, discord_server: DiscordServer, caplog: pytest.LogCaptureFixture
) -> None:
    discord_server.followup_error = (403, 50001, "Missing Access")
    ix = await discord_server.slash("categories")
    await bot.answered(ix)
    assert ix.acked and ix.errors == [50001] and ix.messages == []
    assert "discord.reply_failed" in caplog.text


async def test_a_mention_in_a_channel_closed_to_the_bot_is_logged(
    config: Config, discord_server: DiscordServer, caplog: pytest.LogCaptureFixture
) -> None:
    bot = Bot(discord_config(config, discord_server, read_messages=True), discord_server)
    await bot.start()
    try:
        discord_server.forbidden_channels.add(discord_server.channel_id)
        await discord_server.say(f"<@{discord_server.app_id}> http://10.0.0.1/", mention_bot=True)
        await discord_server.wait_for(
            lambda: discord_server.calls_to("POST", r".*/channels/\d+/messages")
        )
        assert bot.adapter is not None
        await bot.adapter.idle()
    finally:
        await bot.stop()
    assert "discord.reply_failed" in caplog.text


async def test_read_messages_without_the_intent_enabled_is_a_config_error(
    config: Config, discord_server: DiscordServer
) -> None:
    discord_server.privileged_intents = False
    bot = Bot(discord_config(config, discord_server, read_messages=True), discord_server)
    with pytest.raises(ConfigError, match=r"\[discord\] read_messages: enable the Message"):
        await bot.start()
    await bot.stop()


async def test_no_ready_within_the_timeout_is_timed_out(
    config: Config, discord_server: DiscordServer
) -> None:
    discord_server.send_ready = False
    core = await Core.open(config)
    adapter = DiscordAdapter(discord_config(config, discord_server), core, ready_timeout=0.3)
    try:
        with pytest.raises(TimedOut, match="READY"):
            await adapter.start()
    finally:
        await core.aclose()
    assert adapter.client is not None and adapter.client.is_closed()
