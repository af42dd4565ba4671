"""Telegram: python-telegram-bot's Application on the shared loop, HTML replies.

`create(config, core)` is what `prism-bot run` calls (`create_sender` for a send-only
scheduler process); `render` is the pure part.
"""

from adapters.telegram_adapter.adapter import TelegramAdapter, create, create_sender

__all__ = ["TelegramAdapter", "create", "create_sender"]
