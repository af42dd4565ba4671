"""A channel's settings (today its language) on PostgreSQL, as bot.store.channels."""

from __future__ import annotations

from datetime import datetime

from bot.store.postgres.db import PgDatabase


class PgChannelRepo:
    """The channel_settings table (PostgreSQL): what /language stores."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def language(self, channel: str) -> str | None:
        """The language a channel chose with /language, or None if it never did."""
        row = await self.db.fetchmaybe(
            "SELECT language FROM channel_settings WHERE channel = %s", (channel,)
        )
        return str(row["language"]) if row else None

    async def languages(self) -> dict[str, str]:
        """Every channel's chosen language at once (a digest pass asks for all)."""
        rows = await self.db.fetchall("SELECT channel, language FROM channel_settings")
        return {str(row["channel"]): str(row["language"]) for row in rows}

    async def set_language(self, channel: str, language: str, at: datetime) -> None:
        """Store (or change) a channel's language."""
        await self.db.execute(
            "INSERT INTO channel_settings(channel, language, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (channel) DO UPDATE SET language = excluded.language,"
            " updated_at = excluded.updated_at",
            (channel, language, at),
        )
