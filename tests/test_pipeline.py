"""The pipeline as a service: no chat user, nothing half-stored; budgets by payer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.analyzers.offline import OfflineAnalyzer
from bot.config import Config
from bot.core import Core
from bot.errors import BudgetReached, PageNotFound
from bot.ingest.budgets import Budget
from bot.ingest.extract import Extractor
from bot.ingest.fetch import Fetcher
from bot.ingest.pipeline import Pipeline
from bot.models import ChannelRef, Request
from bot.store import Store
from tests.support.site import Site


@dataclass
class Parts:
    pipeline: Pipeline
    store: Store


@pytest.fixture
async def parts(config: Config) -> AsyncIterator[Parts]:
    store = await Store.open(config.storage.path)
    fetcher = Fetcher(config.fetch)
    extractor = Extractor(config.extract)
    analyzer = OfflineAnalyzer(config.categories.names)
    try:
        yield Parts(Pipeline(store, fetcher, extractor, analyzer, config), store)
    finally:
        for part in (analyzer, extractor, fetcher, store):
            await part.aclose()


def cli_request(user: str = "cli") -> Request:
    return Request(command="analyze", text="", channel=ChannelRef("cli", "local"), user=user)


async def test_a_link_is_analysed_and_stored_once(parts: Parts, article_site: Site) -> None:
    url = article_site.url("/slow/council?ms=1")
    first, generated = await parts.pipeline.run(url)
    assert generated is True
    assert first.headline
    again, generated_again = await parts.pipeline.run(url)
    assert (again.id, generated_again) == (first.id, False)
    assert article_site.hits["/slow/council"] == 1


async def test_a_refused_gate_spends_nothing(parts: Parts, article_site: Site) -> None:
    async def broke() -> None:
        raise BudgetReached("no money left", datetime(2026, 3, 2, tzinfo=UTC))

    url = article_site.url("/slow/council?ms=1")
    with pytest.raises(BudgetReached, match="no money left"):
        await parts.pipeline.run(url, gate=broke)
    assert article_site.hits["/slow/council"] == 0
    assert await parts.store.analyses.count() == 0


async def test_a_failed_fetch_stores_nothing(parts: Parts, article_site: Site) -> None:
    with pytest.raises(PageNotFound):
        await parts.pipeline.run(article_site.url("/404"))
    assert await parts.store.analyses.count() == 0


async def test_refresh_redoes_from_the_stored_text(parts: Parts, article_site: Site) -> None:
    url = article_site.url("/slow/council?ms=1")
    first, _ = await parts.pipeline.run(url)
    again, generated = await parts.pipeline.run(url, refresh=True)
    assert (again.id, generated) == (first.id, True)
    assert article_site.hits["/slow/council"] == 1


async def test_the_operator_pays_only_the_global_budget(config: Config, article_site: Site) -> None:
    async with await Core.open(config.with_overrides(limits={"user_per_hour": 1})) as core:
        for n in range(3):
            url = article_site.url(f"/slow/op{n}?ms=1")
            done = await core.resolve(url, cli_request(), budget=Budget.operator())
            assert not done.cached


async def test_a_feed_pays_from_its_own_daily_budget(config: Config, article_site: Site) -> None:
    async with await Core.open(config) as core:
        feed = Budget.feed("feed:harbour", per_day=1)
        await core.resolve(article_site.url("/slow/f1?ms=1"), cli_request(), budget=feed)
        with pytest.raises(BudgetReached, match="feed:harbour has used its daily budget of 1"):
            await core.resolve(article_site.url("/slow/f2?ms=1"), cli_request(), budget=feed)
        other = await core.resolve(article_site.url("/slow/f2?ms=1"), cli_request("ann"))
        assert not other.cached  # a chat user's allowance is separate
        stats = await core.stats()
        assert stats.generations == 2
