"""The discord.py internals the adapter rewrites still steer the library."""

from __future__ import annotations

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord_adapter.compat import check_version, use_endpoints
from bot.errors import ConfigError


def test_endpoints_are_overridden_then_restored() -> None:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    restore = use_endpoints("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9/gateway")
    try:
        assert Route.BASE == "http://127.0.0.1:9/api/v10"
        assert Route("GET", "/gateway/bot").url == "http://127.0.0.1:9/api/v10/gateway/bot"
        assert yarl.URL("ws://127.0.0.1:9/gateway") == DiscordWebSocket.DEFAULT_GATEWAY
    finally:
        restore()
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


def test_nothing_is_touched_without_overrides() -> None:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    use_endpoints("", "")()
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


def test_the_installed_discord_py_is_supported() -> None:
    check_version()
    assert discord.version_info.major == 2


@pytest.mark.parametrize("version", [(2, 3), (3, 0)])
def test_an_untested_discord_py_is_refused_by_name(version: tuple[int, int]) -> None:
    with pytest.raises(ConfigError, match=r"needs discord.py >=2.4,<3"):
        check_version(version)
