"""Thoughts buttons and "Read on the web" in Telegram and Discord: the real adapters
against the local Bot API and Discord servers, the real core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from adapters.discord_adapter.render import render as discord_render
from adapters.telegram_adapter import TelegramAdapter
from adapters.telegram_adapter.render import keyboard_for
from adapters.telegram_adapter.render import render as telegram_render
from bot.config import Config
from bot.core import Core
from bot.models import Action, ChannelRef, Group, Item, Reply, Request, Thoughts
from tests.support.discord_bot import Bot, discord_config
from tests.support.discord_server import DiscordServer, discord_server
from tests.support.telegram_server import BotApiServer, bot_api, chat, user
from tests.test_telegram import tg_config

__all__ = ["bot_api", "discord_server"]  # fixtures, used by name

ALICE = user(501, "Alice")
SITE = "https://news.example"


@pytest.fixture
def chat_config(config: Config) -> Config:
    return config.with_overrides(thoughts={"buttons": True}, web={"base_url": SITE})


async def _first_id(core: Core) -> int:
    await core.import_seeds()
    return (await core.recent(1))[0].id


async def test_analysis_replies_offer_thoughts_and_the_page(chat_config: Config) -> None:
    core = await Core.open(chat_config)
    try:
        ident = await _first_id(core)
        request = Request("show", str(ident), ChannelRef("console", "local"), "me")
        [reply] = await core.handle(request)
    finally:
        await core.aclose()
    kinds = [a.kind for a in reply.actions]
    assert kinds == ["related", "source", "web", "useful", "inaccurate"]


def test_telegram_renders_thoughts_as_callbacks_and_the_page_as_a_link() -> None:
    keyboard = keyboard_for(
        (
            Action("web", "Read on the web", url=f"{SITE}/a/3-x"),
            Action("web", "Bad", url="javascript:alert(1)"),
            Action("useful", "Useful", analysis_id=3),
            Action("inaccurate", "Inaccurate", analysis_id=3),
        )
    )
    assert keyboard is not None
    (row,) = keyboard.inline_keyboard
    assert [(b.text, b.url, b.callback_data) for b in row] == [
        ("Read on the web", f"{SITE}/a/3-x", None),
        ("Useful", None, "useful:3"),
        ("Inaccurate", None, "inaccurate:3"),
    ]


def test_discord_renders_thoughts_as_buttons_and_the_page_as_a_link() -> None:
    reply = Reply(
        kind="analysis",
        title="T",
        actions=(
            Action("web", "Read on the web", url=f"{SITE}/a/3-x"),
            Action("useful", "Useful", analysis_id=3),
            Action("inaccurate", "Inaccurate", analysis_id=3),
        ),
    )
    (message,) = discord_render(reply)
    assert [(b.label, b.url, b.custom_id) for b in message.buttons] == [
        ("Read on the web", f"{SITE}/a/3-x", None),
        ("Useful", None, "prism:useful:3"),
        ("Inaccurate", None, "prism:inaccurate:3"),
    ]


@pytest.fixture
async def tg(chat_config: Config, bot_api: BotApiServer) -> AsyncIterator[tuple[Core, int]]:
    core = await Core.open(chat_config)
    ident = await _first_id(core)
    adapter = TelegramAdapter(tg_config(chat_config, bot_api), core, typing_every=0.05)
    await adapter.start()
    try:
        yield core, ident
    finally:
        await adapter.stop()
        await core.aclose()


async def test_a_telegram_thought_button_is_stored_and_acknowledged(
    tg: tuple[Core, int], bot_api: BotApiServer
) -> None:
    core, ident = tg
    shown = bot_api.message(chat(501), "An analysis", bot_api.bot_user())
    bot_api.push_callback(ALICE, shown, f"inaccurate:{ident}")
    await bot_api.wait_for(lambda: bool(bot_api.calls_to("answerCallbackQuery")), within=20)
    (answer,) = bot_api.calls_to("answerCallbackQuery")
    assert "0 useful · 1 inaccurate" in str(answer.params.get("text"))
    assert await core.thoughts(ident) == Thoughts(0, 1)
    assert bot_api.sent_to(501) == []  # a toast, not a message in the chat
    bot_api.push_callback(ALICE, shown, f"useful:{ident}")
    await bot_api.wait_for(lambda: len(bot_api.calls_to("answerCallbackQuery")) == 2, within=20)
    assert await core.thoughts(ident) == Thoughts(1, 0)  # changed, not added


async def test_a_discord_thought_button_is_stored_and_answered_privately(
    chat_config: Config, discord_server: DiscordServer
) -> None:
    bot = Bot(discord_config(chat_config, discord_server), discord_server)
    await bot.start()
    try:
        assert bot.core is not None and bot.adapter is not None
        ident = await _first_id(bot.core)
        [reply] = await bot.core.handle(
            Request("show", str(ident), ChannelRef("discord", discord_server.channel_id), "1")
        )
        await bot.adapter.send(ChannelRef("discord", discord_server.channel_id), reply)
        posted = discord_server.channel_messages()[-1]
        click = await discord_server.click(posted, f"prism:useful:{ident}")
        await bot.answered(click)
        assert click.deferred_ephemeral
        assert "1 useful · 0 inaccurate" in str(click.messages[0].embeds[0])
        assert await bot.core.thoughts(ident) == Thoughts(1, 0)
    finally:
        await bot.stop()


async def test_each_digest_item_links_to_its_page(chat_config: Config) -> None:
    core = await Core.open(chat_config)
    try:
        await core.import_seeds()  # seeds keep their old dates: render them as a digest
        economy = await core.recent(5, "Economy")
        digest = core.digests.render(date(2026, 3, 1), ("Economy",), economy)
    finally:
        await core.aclose()
    assert digest is not None
    items = [
        i for g in digest.blocks if isinstance(g, Group) for i in g.blocks if isinstance(i, Item)
    ]
    assert items
    for item in items:
        assert isinstance(item, Item) and item.analysis_id is not None
        assert item.page_url is not None
        assert item.page_url.startswith(f"{SITE}/a/{item.analysis_id}-")
    (part, *_) = telegram_render(digest)
    assert f'<a href="{items[0].page_url}">Read on the web</a>' in part.html
    (message, *_) = discord_render(digest)
    assert f"[Read on the web]({items[0].page_url})" in str(message.embeds[0].to_dict())


async def test_digest_items_carry_no_page_without_base_url(core: Core) -> None:
    await core.import_seeds()
    economy = await core.recent(5, "Economy")
    digest = core.digests.render(date(2026, 3, 1), ("Economy",), economy)
    assert digest is not None
    items = [i for g in digest.blocks if isinstance(g, Group) for i in g.blocks]
    assert all(isinstance(i, Item) and i.page_url is None for i in items)
