"""Entry point of the Discord adapter for `prism-bot run` (see adapters.discord_bot)."""

from __future__ import annotations

from adapters.discord_bot.adapter import DiscordAdapter, PrismClient, create, use_endpoints
from adapters.discord_bot.render import Button, Message, render

__all__ = [
    "Button",
    "DiscordAdapter",
    "Message",
    "PrismClient",
    "create",
    "render",
    "use_endpoints",
]
