"""`[polling]` and `[[feeds]]` settings, and the feed repository's bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Config, FetchConfig, PollingConfig, build_config
from bot.errors import BlockedAddress, ConfigError
from bot.ingest.feeds.policy import FeedState
from bot.ingest.fetch import Fetcher
from bot.store import Store

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def test_polling_defaults_match_the_design() -> None:
    assert Config().polling == PollingConfig(15, 200, 5, 20, 7.0)


def test_feeds_take_every_documented_key() -> None:
    entry = {"url": "https://x.example/rss", "category": "economy", "language": "de",
             "every_min": 30, "name": "X"}  # fmt: skip
    (feed,) = build_config({"feeds": [entry]}, {}, "t").feeds
    assert (feed.url, feed.language, feed.every_min, feed.name) == entry_values(entry)


def entry_values(entry: dict[str, object]) -> tuple[object, ...]:
    return entry["url"], entry["language"], entry["every_min"], entry["name"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"polling": {"every_min": 0}}, r"\[polling\] every_min: must be at least 1"),
        ({"polling": {"per_day": -1}}, r"\[polling\] per_day"),
        ({"polling": {"max_items_per_poll": 0}}, r"\[polling\] max_items_per_poll"),
        ({"polling": {"disable_after_days": 0}}, r"\[polling\] disable_after_days"),
        ({"polling": {"first_poll_items": "many"}}, r"\[polling\] first_poll_items"),
        ({"polling": {"often": 1}}, r"\[polling\] often: unknown key"),
        ({"feeds": [{"category": "World"}]}, r"\[\[feeds\]\] #1 url: required"),
        ({"feeds": [{"url": ""}]}, r"\[\[feeds\]\] #1 url: must not be empty"),
        ({"feeds": [{"url": "ftp://x.example/rss"}]}, r"url: 'ftp://x.example/rss' is not"),
        ({"feeds": [{"url": "https://x.example/", "every_min": -5}]}, r"every_min"),
        ({"feeds": [{"url": "https://x.example/", "language": "English"}]}, r"language"),
    ],
)
def test_bad_feed_settings_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config(data, {}, "t")


def test_polling_keys_can_come_from_the_environment() -> None:
    config = build_config({}, {"PRISM_POLLING_PER_DAY": "50"}, "t")
    assert config.polling.per_day == 50


async def test_every_feed_fetch_goes_through_the_address_gate() -> None:
    fetcher = Fetcher(FetchConfig())
    try:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch_feed("http://127.0.0.1:9/feed.rss")
    finally:
        await fetcher.aclose()


async def test_adding_a_feed_again_updates_it_and_keeps_its_state(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "f.db")
    try:
        repo = store.feeds
        feed = await repo.add("https://x.example/rss", NOW, name="X", origin="config")
        assert feed.state == FeedState() and feed.origin == "config"
        later = NOW + timedelta(hours=1)
        await repo.save_state(feed.id, FeedState(status="ok", etag='"1"', next_poll_at=later))
        again = await repo.add("https://x.example/rss", NOW, name="Renamed", category="World")
        assert (again.id, again.name, again.category) == (feed.id, "Renamed", "World")
        assert again.state.etag == '"1"'
        assert await repo.due(NOW) == []
        assert [f.url for f in await repo.due(NOW + timedelta(hours=2))] == [feed.url]
        assert await repo.remove(feed.url) is True
        assert await repo.remove(feed.url) is False
        assert await repo.all() == []
    finally:
        await store.close()
