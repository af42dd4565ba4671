"""The PostgreSQL store (the `postgres` extra): the SQLite store's repositories and
behaviour on a database several processes share. Importing this package needs no
driver; `bot.store.postgres.store` does."""

from __future__ import annotations

from bot.store.postgres.url import display_url, is_postgres_url

__all__ = ["display_url", "is_postgres_url"]
