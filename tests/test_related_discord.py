"""/related on Discord: the real discord.py client and core against the local server."""

from __future__ import annotations

from bot.ingest.seeds import import_seeds
from tests.support.discord_bot import Bot, bot, errors_free
from tests.support.discord_server import DiscordServer, discord_server

__all__ = ["bot", "discord_server"]  # fixtures used by this module

RATE_CUT = "https://www.harbourledger.example/economy/2026/02/12/bank-of-norland-cuts-rates"
RATES_HOLD = "Norland's central bank stops raising rates, but is not ready to cut"


async def test_related_slash_command_lists_explained_articles(
    bot: Bot, discord_server: DiscordServer
) -> None:
    assert bot.core is not None
    await import_seeds(bot.core.store)
    source = await bot.core.store.analyses.by_url(RATE_CUT)
    assert source is not None
    ix = await discord_server.slash("related", {"query": str(source.id)})
    await bot.answered(ix)
    text = "\n".join(m.text() for m in ix.messages)
    assert RATES_HOLD in text
    assert "shares Bank of Norland, Ingrid Halvorsen, Tomas Erikstad" in text
    errors_free(discord_server)
