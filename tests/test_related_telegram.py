"""/related and the Related button on Telegram: the real core, the local Bot API server."""

from __future__ import annotations

from adapters.telegram_adapter import TelegramAdapter
from bot.core import Core
from bot.ingest.seeds import import_seeds
from bot.models import Analysis
from tests.support.telegram_server import BotApiServer, bot_api, chat, user
from tests.test_telegram_core import tg

__all__ = ["bot_api", "tg"]  # fixtures, used by name

ALICE = user(501, "Alice")
RATE_CUT = "https://www.harbourledger.example/economy/2026/02/12/bank-of-norland-cuts-rates"
RATES_HOLD = "Norland's central bank stops raising rates, but is not ready to cut"


async def rate_cut(core: Core) -> Analysis:
    await import_seeds(core.store)
    source = await core.store.analyses.by_url(RATE_CUT)
    assert source is not None
    return source


async def test_related_command_lists_explained_articles(
    tg: TelegramAdapter, bot_api: BotApiServer, core: Core
) -> None:
    source = await rate_cut(core)
    bot_api.push_message(chat(501), f"/related {source.id}", ALICE)
    await bot_api.wait_for(lambda: bool(bot_api.sent_to(501)), within=20)
    text = str(bot_api.sent_to(501)[0]["text"])
    assert RATES_HOLD in text
    assert "shares Bank of Norland, Ingrid Halvorsen, Tomas Erikstad" in text
    assert source.headline in text  # only in the title: "Related to: …"
    assert text.count(source.headline) == 1


async def test_related_button_answers_with_related_articles(
    tg: TelegramAdapter, bot_api: BotApiServer, core: Core
) -> None:
    source = await rate_cut(core)
    shown = bot_api.message(chat(501), source.headline, bot_api.bot_user())
    bot_api.push_callback(ALICE, shown, f"related:{source.id}")
    await bot_api.wait_for(lambda: bool(bot_api.sent_to(501)), within=20)
    assert RATES_HOLD in str(bot_api.sent_to(501)[0]["text"])
