"""Telegram: python-telegram-bot's Application on the shared loop, HTML replies.

`create(config, core)` is what `prism-bot run` calls; `render` is the pure part.
"""

from adapters.telegram_adapter.adapter import TelegramAdapter, create

__all__ = ["TelegramAdapter", "create"]
