"""Platform adapters, one package each: thin translators between a platform and the core.

`console/`, `telegram_adapter/`, `discord_adapter/` (next: `web/`). An adapter turns
platform events into `bot.models.Request`s for `Core.handle`, renders the neutral
replies, and sends; it implements `bot.ports.Adapter`. Adapters never import each
other or `bot.store`; only the composition root, `bot/app.py`, imports them.
"""
