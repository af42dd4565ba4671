"""`run --only`: a `scheduler` process delivers through every platform with a token and
receives nothing (no getUpdates, no gateway); Discord shards; role names checked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config
from bot.errors import ConfigError
from bot.models import ChannelRef
from bot.store import Store
from tests.support.discord_bot import Bot, discord_config
from tests.support.discord_server import DiscordServer, discord_server
from tests.support.fanout import due_now, telegram_chats
from tests.support.process import spawn_bot
from tests.support.telegram_server import BotApiServer, bot_api

__all__ = ["bot_api", "discord_server"]  # fixtures, used by name

RECEIVING = {"getUpdates", "setWebhook", "deleteWebhook", "setMyCommands"}


def both_platforms(config: Config, bot_api: BotApiServer, server: DiscordServer) -> Config:
    return discord_config(config, server).with_overrides(
        telegram={"token": bot_api.token, "base_url": bot_api.base_url},
        digest={"tick_s": 0.05},
    )


async def test_a_scheduler_process_sends_everywhere_and_receives_nothing(
    config: Config, bot_api: BotApiServer, discord_server: DiscordServer
) -> None:
    config = both_platforms(config, bot_api, discord_server)
    async with await Store.open(config.storage.path) as store:
        channels = [*telegram_chats(2), ChannelRef("discord", discord_server.channel_id)]
        await due_now(store, channels, datetime.now(UTC))
    async with App(config, only=["scheduler"], seed=False) as app:
        assert [a.platform for a in app.outbound] == ["telegram", "discord"]
        assert app.adapters == []
        await bot_api.wait_for(lambda: len(bot_api.sent) == 2)
        await discord_server.wait_for(lambda: discord_server.channel_messages())
    assert "Rates held steady" in bot_api.sent[0]["text"]
    assert {c.method for c in bot_api.calls} & RECEIVING == set()
    assert discord_server.sessions == [] and discord_server.identifies == []
    assert discord_server.gateway_paths == []
    assert not discord_server.calls_to("PUT", "commands")  # no command sync either


async def test_a_receiving_process_does_not_open_a_second_connection(
    config: Config, bot_api: BotApiServer
) -> None:
    config = config.with_overrides(
        telegram={"token": bot_api.token, "base_url": bot_api.base_url, "poll_timeout_s": 0}
    )
    async with App(config, only=["telegram", "scheduler"], seed=False) as app:
        assert [a.platform for a in app.adapters] == ["telegram"]
        assert app.outbound == []
        await bot_api.wait_for(lambda: bool(bot_api.calls_to("getUpdates")))


async def test_an_unknown_role_is_a_usage_error_naming_the_valid_ones(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "run.db"}"\n')
    proc = await spawn_bot("run", "--only", "scheduler,telegramm", "--config", str(config))
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert (
        b"unknown role 'telegramm' (one of: telegram, discord, console, web, feeds, scheduler"
        in err
    )


async def test_one_shard_identifies_with_its_id_and_the_count(
    config: Config, discord_server: DiscordServer
) -> None:
    sharded = discord_config(config, discord_server, shard_count=4, shard_ids=(2,))
    bot = Bot(sharded, discord_server)
    await bot.start()
    try:
        [identify] = discord_server.identifies
    finally:
        await bot.stop()
    assert identify["shard"] == [2, 4]


async def test_several_shards_in_one_process_identify_each(
    config: Config, discord_server: DiscordServer
) -> None:
    sharded = discord_config(config, discord_server, shard_count=3, shard_ids=(0, 2))
    bot = Bot(sharded, discord_server)
    await bot.start()
    try:
        await discord_server.wait_for(lambda: len(discord_server.identifies) == 2, within=10)
        shards = sorted(tuple(i["shard"]) for i in discord_server.identifies)
    finally:
        await bot.stop()
    assert shards == [(0, 3), (2, 3)]


@pytest.mark.parametrize(
    ("discord", "message"),
    [
        ({"shard_ids": (0,)}, "[discord] shard_ids: needs shard_count"),
        ({"shard_count": 2, "shard_ids": (2,)}, "[discord] shard_ids: 2 is not a shard of 0..1"),
        ({"shard_count": 2, "shard_ids": (1, 1)}, "[discord] shard_ids: a shard is named twice"),
        ({"shard_count": -1}, "[discord] shard_count"),
    ],
)
def test_bad_shard_settings_name_the_key(
    config: Config, discord: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        config.with_overrides(discord=discord)
    assert message in str(caught.value)


async def test_digest_send_beside_a_running_bot_only_sends(
    config: Config, bot_api: BotApiServer
) -> None:
    """`digest --send` opens send-only connections: getUpdates stays the receiver's."""
    config = config.with_overrides(telegram={"token": bot_api.token, "base_url": bot_api.base_url})
    async with await Store.open(config.storage.path) as store:
        await due_now(store, telegram_chats(3), datetime.now(UTC))
    async with App(config, only=[], seed=False) as app:
        report = await app.send_due_digests()
    assert len(report.sent) == 3 and len(bot_api.sent) == 3
    assert {c.method for c in bot_api.calls} & RECEIVING == set()
