"""The one place that rewrites discord.py internals: its REST and gateway endpoints.

discord.py builds every REST URL (bot and interaction webhooks alike) from the class
attribute `Route.BASE`, and falls back to the class attribute
`DiscordWebSocket.DEFAULT_GATEWAY` whenever a session is invalidated. Neither can be
set per client, so the override is process-wide: one Discord connection per process,
which is how a bot runs (one token). Both attributes are checked against the versions
this was written for (discord.py >=2.4,<3, as pyproject declares) and
tests/test_discord_compat.py proves they still steer the library.
"""

from __future__ import annotations

from collections.abc import Callable

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.errors import ConfigError

SUPPORTED = ((2, 4), (3, 0))  # [low, high) of discord.py's (major, minor)


def check_version(version: tuple[int, int] | None = None) -> None:
    """Refuse a discord.py whose endpoint attributes this module has not been tested on."""
    major, minor = version or (discord.version_info.major, discord.version_info.minor)
    low, high = SUPPORTED
    if not low <= (major, minor) < high:
        raise ConfigError(
            f"[discord] api_base_url: needs discord.py >={low[0]}.{low[1]},<{high[0]} "
            f"to override endpoints; {major}.{minor} is installed"
        )


def use_endpoints(api_base_url: str, gateway_url: str) -> Callable[[], None]:
    """Point discord.py at a Discord-compatible server; returns a function that undoes it."""
    previous = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    if api_base_url or gateway_url:
        check_version()
    if api_base_url:
        Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        set_default_gateway(gateway_url)

    def restore() -> None:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous

    return restore


def set_default_gateway(url: str) -> None:
    """Where a reconnect goes when Discord does not name a resume URL."""
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
