"""Entry point of the Discord adapter for `prism-bot run` (see adapters.discord_adapter)."""

from __future__ import annotations

from adapters.discord_adapter.adapter import DiscordAdapter, PrismClient, create, create_sender
from adapters.discord_adapter.compat import use_endpoints
from adapters.discord_adapter.render import Button, Message, render

__all__ = [
    "Button",
    "DiscordAdapter",
    "Message",
    "PrismClient",
    "create",
    "create_sender",
    "render",
    "use_endpoints",
]
