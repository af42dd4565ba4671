"""End to end: a Discord channel subscribed with `/subscribe Economy 08:00 Europe/Berlin`
receives, at 08:00 Berlin time, a digest of the new Economy analyses — once, through a
restart and a platform error. The real discord.py client talks to the local
Discord-compatible server; the clock is set by hand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.discord_adapter import DiscordAdapter
from bot.config import Config
from bot.core import Core
from bot.digests.scheduler import DigestScheduler
from bot.models import ChannelRef
from tests.support.digests import Clock, add_analysis, utc
from tests.support.discord_bot import discord_config, errors_free
from tests.support.discord_server import (
    BASIC_MEMBER,
    MANAGE_CHANNELS,
    DiscordServer,
    discord_server,
)

__all__ = ["discord_server"]  # fixtures used by this module


class Running:
    """Core, Discord adapter and scheduler on one loop, as `prism-bot run` wires them."""

    def __init__(self, config: Config, clock: Clock) -> None:
        self.config, self.clock = config, clock
        self.core: Core | None = None
        self.adapter: DiscordAdapter | None = None
        self.scheduler: DigestScheduler | None = None

    async def start(self) -> Running:
        self.core = await Core.open(self.config, clock=self.clock)
        self.adapter = DiscordAdapter(self.config, self.core, guild_ready_timeout=0.05)
        await self.adapter.start()
        self.scheduler = DigestScheduler(self.core.digests, {"discord": self.adapter}, self.config)
        await self.scheduler.start()
        return self

    async def passes(self, n: int) -> None:
        assert self.scheduler is not None
        target = self.scheduler.completed + n
        async with asyncio.timeout(5):
            while self.scheduler.completed < target:  # noqa: ASYNC110 - polled counter
                await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.adapter is not None:
            await self.adapter.stop()
        if self.core is not None:
            await self.core.aclose()


@pytest.fixture
def clock() -> Clock:
    return Clock(utc("2026-03-27 09:00"))


@pytest.fixture
def e2e_config(config: Config, discord_server: DiscordServer) -> Config:
    return discord_config(config, discord_server).with_overrides(digest={"tick_s": 0.02})


@pytest.fixture
async def running(e2e_config: Config, clock: Clock) -> AsyncIterator[Running]:
    app = await Running(e2e_config, clock).start()
    yield app
    await app.stop()


async def subscribe(server: DiscordServer, app: Running, channel: str | None = None) -> None:
    options = {"category": "Economy", "time": "08:00", "timezone": "Europe/Berlin"}
    ix = await server.slash(
        "subscribe", options, permissions=BASIC_MEMBER | MANAGE_CHANNELS, channel_id=channel
    )
    await server.wait_for(lambda: ix.acked or ix.errors)
    assert app.adapter is not None
    await app.adapter.idle()


async def test_subscribed_channel_gets_its_economy_digest_at_eight_berlin_time_once(
    e2e_config: Config, discord_server: DiscordServer, running: Running, clock: Clock
) -> None:
    await subscribe(discord_server, running)
    assert running.core is not None
    store = running.core.store
    rates = await add_analysis(store, "Rates held", "Economy", utc("2026-03-27 15:00"))
    await add_analysis(store, "Cup final", "Sports", utc("2026-03-27 16:00"))
    await add_analysis(store, "Old seed", "Economy", utc("2025-01-01 08:00"))

    clock.set(utc("2026-03-28 06:59"))  # 07:59 in Berlin
    await running.passes(3)
    assert discord_server.channel_messages() == []

    clock.set(utc("2026-03-28 07:00"))  # 08:00 in Berlin
    await discord_server.wait_for(lambda: discord_server.channel_messages())
    await running.passes(3)
    await running.stop()  # a restart five minutes later
    clock.set(utc("2026-03-28 07:05"))
    again = await Running(e2e_config, clock).start()
    await again.passes(3)
    await again.stop()

    (message,) = discord_server.channel_messages()
    assert message.embeds[0]["title"] == "Daily digest · Saturday 28 March 2026"
    assert "Rates held" in message.text()
    assert "Cup final" not in message.text() and "Old seed" not in message.text()
    assert message.custom_ids == [f"prism:open:{rates.id}"]
    assert message.payload["allowed_mentions"] == {"parse": []}
    errors_free(discord_server)


async def test_a_channel_the_bot_lost_access_to_is_deactivated(
    discord_server: DiscordServer, running: Running, clock: Clock
) -> None:
    lost = discord_server.other_channel_id
    await subscribe(discord_server, running, channel=lost)
    assert running.core is not None
    await add_analysis(running.core.store, "Rates held", "Economy", utc("2026-03-27 15:00"))
    discord_server.forbidden_channels.add(lost)
    clock.set(utc("2026-03-28 07:00"))
    await running.passes(3)
    assert running.scheduler is not None
    await running.scheduler.idle()  # passes overlap: the one sending may still be running
    sub = await running.core.store.subscriptions.get(ChannelRef("discord", lost))
    assert sub is not None and not sub.active
    assert discord_server.channel_messages(lost) == []
