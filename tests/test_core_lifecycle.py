"""Core owns its parts: it closes every one, the store last, even when opening fails."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bot.analyzers.offline import OfflineAnalyzer
from bot.config import Config
from bot.core import Core
from bot.errors import ConfigError
from bot.ingest.extract import Extractor
from bot.ingest.fetch import Fetcher
from bot.models import Page
from tests.support.process import spawn_bot


class Recording:
    """Remembers the order in which parts were closed."""

    def __init__(self) -> None:
        self.closed: list[str] = []


class RecordingFetcher(Fetcher):
    def __init__(self, config: Config, log: Recording) -> None:
        super().__init__(config.fetch)
        self.log = log

    async def fetch(self, url: str) -> Page:
        raise AssertionError("not fetched in these tests")

    async def aclose(self) -> None:
        await super().aclose()
        self.log.closed.append("fetcher")


class RecordingExtractor(Extractor):
    def __init__(self, config: Config, log: Recording) -> None:
        super().__init__(config.extract)
        self.log = log

    async def aclose(self) -> None:
        await super().aclose()
        self.log.closed.append("extractor")


class RecordingAnalyzer(OfflineAnalyzer):
    def __init__(self, config: Config, log: Recording) -> None:
        super().__init__(config.categories.names, config.analyzer.language)
        self.log = log

    async def aclose(self) -> None:
        await super().aclose()
        self.log.closed.append("analyzer")


async def test_every_part_is_closed_in_reverse_order_of_building(config: Config) -> None:
    log = Recording()
    async with await Core.open(
        config,
        fetcher=RecordingFetcher(config, log),
        extractor=RecordingExtractor(config, log),
        analyzer=RecordingAnalyzer(config, log),
    ) as core:
        assert await core.recent() == []
    assert log.closed == ["analyzer", "extractor", "fetcher"]
    with pytest.raises(ValueError, match="closed"):  # the store went last
        await core.store.analyses.count()


async def test_a_failed_open_closes_what_it_had_opened(config: Config) -> None:
    before = set(threading.enumerate())
    claude = config.with_overrides(analyzer={"backend": "claude"})
    with pytest.raises(ConfigError, match="api_key"):
        await Core.open(claude)
    started = [t for t in set(threading.enumerate()) - before if not t.daemon]
    for thread in started:  # a closed connection's thread ends just after close returns
        await asyncio.to_thread(thread.join, 5)
    left = [t for t in started if t.is_alive()]
    assert left == []  # the store's connection thread is gone: the process can exit


async def test_analyze_without_the_claude_key_exits_with_one_line(tmp_path: Path) -> None:
    bot = await spawn_bot(
        "analyze",
        "https://news.example/a",
        PRISM_ANALYZER_BACKEND="claude",
        PRISM_STORAGE_PATH=str(tmp_path / "prism.db"),
    )
    out, err = await asyncio.wait_for(bot.communicate(), timeout=60)  # hung forever before
    assert bot.returncode != 0
    assert out == b""
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "[anthropic] api_key" in lines[0]
