"""`[anthropic] batch = true`: feed items go through the Message Batches API of the local
Messages API server (the real SDK); an expired batch is redone item by item through the
interactive call; chat requests stay interactive."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.analyzers.batching import BatchingAnalyzer
from bot.config import Config
from bot.core import Core
from bot.models import ChannelRef, Request
from tests.support.anthropic_server import AnthropicServer, echo, serve
from tests.support.digests import Clock, utc
from tests.support.feed_server import FeedServer
from tests.support.site import Site
from tests.test_claude import claude_config
from tests.test_feeds_product import STRIKE, feeds_config, serve_outlets

BATCHES = "/v1/messages/batches"


@pytest.fixture
async def server() -> AsyncIterator[AnthropicServer]:
    async with serve() as server:
        server.responder = echo
        yield server


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    feeds = await FeedServer().start()
    try:
        yield feeds
    finally:
        await feeds.close()


async def batch_core(config: Config, server: AnthropicServer, batch: bool = True) -> Core:
    cfg = claude_config(feeds_config(config), server, batch=batch)
    core = await Core.open(cfg, clock=Clock(utc("2026-03-02 15:00")))
    analyzer = core.resolver.pipeline.analyzer
    inner = getattr(analyzer, "primary", analyzer)
    if isinstance(inner, BatchingAnalyzer):
        inner.window_s = 0.05  # a round's items meet in one batch quickly
    return core


async def test_feed_items_share_one_batch(
    config: Config, server: AnthropicServer, feed_server: FeedServer, article_site: Site
) -> None:
    core = await batch_core(config, server)
    try:
        for url in serve_outlets(feed_server, article_site, STRIKE):
            await core.add_feed(url)
        report = await core.poll_feeds()
        lead = await core.analysis(article_site.url("/story1.html"))
    finally:
        await core.aclose()
    assert report.analysed == 3
    assert (server.count(BATCHES), server.count("/v1/messages")) == (1, 0)
    [batch] = [r.body for r in server.requests if r.path == BATCHES]
    assert len(batch["requests"]) == 3
    assert lead.generator.backend == "claude"


async def test_an_expired_batch_falls_back_item_by_item(
    config: Config, server: AnthropicServer, feed_server: FeedServer, article_site: Site
) -> None:
    server.expire_batches = True
    core = await batch_core(config, server)
    try:
        for url in serve_outlets(feed_server, article_site, STRIKE):
            await core.add_feed(url)
        report = await core.poll_feeds()
        lead = await core.analysis(article_site.url("/story2.html"))
    finally:
        await core.aclose()
    assert report.analysed == 3
    assert (server.count(BATCHES), server.count("/v1/messages")) == (1, 3)
    assert lead.generator.backend == "claude"  # the interactive call answered, labelled


async def test_chat_requests_stay_interactive(
    config: Config, server: AnthropicServer, article_site: Site
) -> None:
    core = await batch_core(config, server)
    try:
        request = Request("analyze", "", ChannelRef("cli", "t"), "u1")
        resolution = await core.resolve(article_site.url("/slow/council?ms=1"), request)
    finally:
        await core.aclose()
    assert resolution.analysis.generator.backend == "claude"
    assert (server.count(BATCHES), server.count("/v1/messages")) == (0, 1)


async def test_without_the_key_feed_items_are_interactive(
    config: Config, server: AnthropicServer, feed_server: FeedServer, article_site: Site
) -> None:
    core = await batch_core(config, server, batch=False)
    try:
        for url in serve_outlets(feed_server, article_site, STRIKE[:2]):
            await core.add_feed(url)
        assert (await core.poll_feeds()).analysed == 2
    finally:
        await core.aclose()
    assert (server.count(BATCHES), server.count("/v1/messages")) == (0, 2)


def test_the_batch_key_is_a_boolean(config: Config) -> None:
    from bot.config import build_config
    from bot.errors import ConfigError

    assert config.anthropic.batch is False
    with pytest.raises(ConfigError, match=r"\[anthropic\] batch: expected true or false"):
        build_config({"anthropic": {"batch": "yes"}}, env={}, source="tests")
