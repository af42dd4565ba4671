"""The Discord adapter under test: a started adapter on a real core, against the local server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord_adapter import DiscordAdapter
from bot.config import Config
from bot.core import Core
from bot.ports import Analyzer
from tests.support.discord_server import DiscordServer, Interaction


def discord_config(config: Config, server: DiscordServer, **extra: Any) -> Config:
    return config.with_overrides(
        discord={
            "token": server.token,
            "api_base_url": server.api_base_url,
            "gateway_url": server.gateway_url,
            **extra,
        }
    )


class Bot:
    """A started adapter on its own core, and how to restart it (same store)."""

    def __init__(
        self, config: Config, server: DiscordServer, analyzer: Analyzer | None = None
    ) -> None:
        self.config = config
        self.server = server
        self.analyzer = analyzer
        self.core: Core | None = None
        self.adapter: DiscordAdapter | None = None

    async def start(self) -> DiscordAdapter:
        self.core = await Core.open(self.config, analyzer=self.analyzer)
        self.adapter = DiscordAdapter(
            self.config, self.core, guild_ready_timeout=0.05, reidentify_delay=0.05
        )
        await self.adapter.start()
        return self.adapter

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.stop()
            self.adapter = None
        if self.core is not None:
            await self.core.aclose()
            self.core = None

    async def answered(self, ix: Any) -> None:
        """Until the bot acknowledged `ix` and finished every follow-up."""
        await self.server.wait_for(lambda: ix.acked or ix.errors)
        assert self.adapter is not None
        await self.adapter.idle()


@pytest.fixture
async def bot(config: Config, discord_server: DiscordServer) -> AsyncIterator[Bot]:
    bot = Bot(discord_config(config, discord_server), discord_server)
    await bot.start()
    yield bot
    await bot.stop()


def errors_free(server: DiscordServer) -> None:
    """Nothing the bot sent was refused by the server's validation."""
    refused = [c for c in server.calls if c.status >= 400 and c.status != 429]
    assert refused == [], [(c.method, c.path, c.status) for c in refused]


async def analyze(bot: Bot, url: str, **kwargs: Any) -> Interaction:
    ix = await bot.server.slash("analyze", {"url": url}, **kwargs)
    await bot.answered(ix)
    return ix
