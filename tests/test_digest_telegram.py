"""Digests through the real Telegram adapter and the local Bot API server: a group
upgraded to a supergroup keeps its digest (the subscription follows the new id), a
chat that blocked the bot is deactivated, and a transient error is retried."""

from __future__ import annotations

import asyncio

import pytest

from adapters.telegram_adapter import TelegramAdapter
from bot.config import Config
from bot.core import Core
from bot.digests.scheduler import DigestScheduler
from bot.models import ChannelRef, Request
from tests.support.digests import Clock, add_analysis, utc
from tests.support.telegram_server import (
    BotApiServer,
    Failure,
    blocked,
    bot_api,
    migrated,
)

__all__ = ["bot_api"]  # the fixture, used by name


def telegram_config(config: Config, server: BotApiServer) -> Config:
    return config.with_overrides(
        telegram={"token": server.token, "base_url": server.base_url, "poll_timeout_s": 0.2},
        digest={
            "tick_s": 0.02,
            "telegram_rate": 1000.0,
            "telegram_chat_per_minute": 6000.0,
            "retry_backoff_s": 0.001,
        },
    )


async def subscribe(core: Core, chat_id: int) -> None:
    channel = ChannelRef("telegram", str(chat_id))
    request = Request("subscribe", "Economy 08:00 UTC", channel, "u1", is_admin=True)
    [reply] = await core.handle(request)
    assert reply.title == "Subscribed", reply


async def until_done(scheduler: DigestScheduler, passes: int = 3) -> None:
    target = scheduler.completed + passes
    async with asyncio.timeout(10):
        while scheduler.completed < target:  # noqa: ASYNC110 - polled counter
            await asyncio.sleep(0.005)


@pytest.mark.parametrize("transient", [False, True])
async def test_moved_blocked_and_transient_chats(
    config: Config, bot_api: BotApiServer, transient: bool
) -> None:
    clock = Clock(utc("2026-03-27 09:00"))
    cfg = telegram_config(config, bot_api)
    core = await Core.open(cfg, clock=clock)
    adapter = TelegramAdapter(cfg, core)
    await adapter.start()
    scheduler = DigestScheduler(core.digests, {"telegram": adapter}, cfg)
    try:
        for chat_id in (-5, -1001, -1002):
            await subscribe(core, chat_id)
        await add_analysis(core.store, "Rates held", "Economy", utc("2026-03-27 15:00"))
        failure = migrated(-1000005)
        failure.chat_id = -5
        bot_api.fail("sendMessage", failure)
        gone = blocked()
        gone.chat_id = -1001
        bot_api.fail("sendMessage", gone)
        if transient:
            bot_api.fail(
                "sendMessage",
                Failure(
                    502,
                    {"ok": False, "error_code": 502, "description": "Bad Gateway"},
                    chat_id=-1002,
                    times=2,
                ),
            )
        clock.set(utc("2026-03-28 08:00"))
        await scheduler.start()
        await bot_api.wait_for(lambda: bool(bot_api.sent_to(-1000005) and bot_api.sent_to(-1002)))
        await until_done(scheduler)
    finally:
        await scheduler.stop()
        await adapter.stop()
    store = core.store
    moved = await store.subscriptions.get(ChannelRef("telegram", "-1000005"))
    lost = await store.subscriptions.get(ChannelRef("telegram", "-1001"))
    await core.aclose()
    assert [len(bot_api.sent_to(c)) for c in (-5, -1000005, -1001, -1002)] == [0, 1, 0, 1]
    assert "Rates held" in bot_api.sent_to(-1000005)[0]["text"]
    assert moved is not None and moved.active
    assert lost is not None and not lost.active
    attempts = [
        c
        for c in bot_api.calls
        if c.method.lower() == "sendmessage" and str(c.params.get("chat_id")) == "-1002"
    ]
    assert len(attempts) == (3 if transient else 1)  # two 502s, retried with back-off
