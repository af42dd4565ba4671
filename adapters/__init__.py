"""Platform adapters: one module each, thin translators between a platform and the core.

`build_adapters` is the composition root for `prism-bot run`: it imports a platform
library only when that platform is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core import Core
    from bot.ports import Adapter


def build_adapters(config: Config, core: Core) -> list[Adapter]:
    """An adapter for every platform with a token configured."""
    adapters: list[Adapter] = []
    if config.telegram.token:
        from adapters import telegram_adapter

        adapters.append(telegram_adapter.create(config, core))
    if config.discord.token:
        from adapters import discord_adapter

        adapters.append(discord_adapter.create(config, core))
    return adapters
