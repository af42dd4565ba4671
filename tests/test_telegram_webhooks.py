"""Telegram webhooks behind a load balancer: two receiving processes (each its own core
on one database) get the same update, as when Telegram retries a delivery; it is
answered once."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import pytest

from adapters.telegram_adapter import TelegramAdapter
from bot.config import Config
from bot.core import Core
from tests.support.telegram_server import BotApiServer, bot_api, chat, user

__all__ = ["bot_api"]  # fixtures, used by name

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-XYZ"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def two_receivers(config: Config, bot_api: BotApiServer) -> AsyncIterator[list[str]]:
    """Two webhook adapters, each on its own core, both on the test's database."""
    hooks = []
    async with AsyncExitStack() as stack:
        for _ in range(2):
            port = free_port()
            hook = f"http://127.0.0.1:{port}/tg-hook"
            cfg = config.with_overrides(
                telegram={
                    "token": bot_api.token,
                    "base_url": bot_api.base_url,
                    "webhook_url": hook,
                    "port": port,
                    "secret_token": SECRET["X-Telegram-Bot-Api-Secret-Token"],
                }
            )
            core = await stack.enter_async_context(await Core.open(cfg))
            await stack.enter_async_context(TelegramAdapter(cfg, core))
            hooks.append(hook)
        yield hooks


async def test_the_same_update_at_two_processes_is_answered_once(
    two_receivers: list[str], bot_api: BotApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="prism.telegram")
    first = {"update_id": 7001, "message": bot_api.message(chat(501), "/help", user(42))}
    second = {"update_id": 7002, "message": bot_api.message(chat(501), "/help", user(42))}
    async with aiohttp.ClientSession() as http:
        await deliver(http, two_receivers[0], first)
        await bot_api.wait_for(lambda: len(bot_api.sent_to(501)) == 1)
        await deliver(http, two_receivers[1], first)  # the retry reaches the other process
        for _ in range(500):  # until the second process has seen (and dropped) it
            if any("telegram-update-duplicate" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
        await deliver(http, two_receivers[1], second)
        await bot_api.wait_for(lambda: len(bot_api.sent_to(501)) == 2)
    assert len(bot_api.sent_to(501)) == 2  # one answer per update, not per delivery
    assert bot_api.calls_to("getUpdates") == []


async def deliver(http: aiohttp.ClientSession, hook: str, update: dict[str, Any]) -> None:
    """What Telegram does: POST the update with the secret; 200 means taken."""
    async with http.post(hook, json=update, headers=SECRET) as answer:
        assert answer.status == 200


async def test_polling_needs_no_memory_of_updates(config: Config, bot_api: BotApiServer) -> None:
    """One process polls: getUpdates' offset already hands each update out once."""
    cfg = config.with_overrides(
        telegram={"token": bot_api.token, "base_url": bot_api.base_url, "poll_timeout_s": 0}
    )
    async with await Core.open(cfg) as core:
        adapter = TelegramAdapter(cfg, core)
        handlers = adapter.app.handlers
    assert -1 not in handlers
