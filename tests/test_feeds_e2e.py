"""End to end: feeds → analyses → one story → a Telegram digest that lists it once.

Five outlets' feeds on the local feed server (three cover the Valmora strike, one
another event, one a decoy at the same port), articles on the local article site, the
offline analyser, the real Telegram adapter against the local Bot API server, and the
real digest scheduler. Nobody pastes a link: the subscribed chat's digest fills itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.telegram_adapter import TelegramAdapter
from bot.config import Config
from bot.core import Core
from bot.digests.scheduler import DigestScheduler
from bot.models import ChannelRef, Request
from tests.support.digests import Clock, utc
from tests.support.feed_server import FeedServer
from tests.support.site import Site
from tests.support.telegram_server import BotApiServer, bot_api
from tests.test_digest_telegram import telegram_config
from tests.test_feeds_product import OTHERS, STRIKE, feeds_config, serve_outlets

__all__ = ["bot_api"]  # the fixture, used by name


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = await FeedServer().start()
    try:
        yield server
    finally:
        await server.close()


async def test_polled_outlets_become_one_story_in_a_telegram_digest(
    config: Config, bot_api: BotApiServer, feed_server: FeedServer, article_site: Site
) -> None:
    clock = Clock(utc("2026-03-02 15:00"))
    cfg = telegram_config(feeds_config(config), bot_api)
    core = await Core.open(cfg, clock=clock)
    adapter = TelegramAdapter(cfg, core)
    await adapter.start()
    scheduler = DigestScheduler(core.digests, {"telegram": adapter}, cfg)
    try:
        for url in serve_outlets(feed_server, article_site, STRIKE + OTHERS):
            await core.add_feed(url)
        report = await core.poll_feeds()
        assert (report.analysed, report.joined_stories) == (5, 2)
        categories = {(await core.analysis(article_site.url(f"/story{n}.html"))).category
                      for n in STRIKE + OTHERS}  # fmt: skip
        channel = ChannelRef("telegram", "-42")
        subscribe = Request(
            "subscribe", f"{' '.join(sorted(categories))} 08:00 UTC", channel, "u1",
            is_admin=True,
        )  # fmt: skip
        [reply] = await core.handle(subscribe)
        assert reply.title == "Subscribed", reply
        clock.set(utc("2026-03-03 08:00"))
        await scheduler.start()
        await bot_api.wait_for(lambda: bool(bot_api.sent_to(-42)))
        async with asyncio.timeout(10):
            while scheduler.completed < 2:  # noqa: ASYNC110 - polled counter
                await asyncio.sleep(0.005)
    finally:
        await scheduler.stop()
        await adapter.stop()
        await core.aclose()
    text = "\n".join(m["text"] for m in bot_api.sent_to(-42))
    outlets = {
        "Dockworkers walk out at Valmora port": "Harbour Times",
        "Strike halts cargo handling in Valmora": "The Ledger",
        "Valmora dockers strike for higher pay": "Coastal Daily",
    }
    [shown] = [title for title in outlets if title in text]  # the story, once
    assert text.count(shown) == 1
    others = sorted(o for t, o in outlets.items() if t != shown)
    assert f"Also covered by: {others[0]}, {others[1]}" in text or (
        f"Also covered by: {others[1]}, {others[0]}" in text
    )
    assert text.count("Also covered by:") == 1  # the other event and the decoy stand alone
