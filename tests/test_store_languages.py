"""Analyses per language and channel settings, on both store backends (SQLite and
PostgreSQL): one variant per (article, language), refreshed in place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from bot.models import Generator, Usage
from bot.store import Store, open_store
from tests.test_store import article, draft

BACKENDS = ["sqlite", "postgresql"]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def any_store(request: pytest.FixtureRequest, config: Config) -> AsyncIterator[Any]:
    if request.param == "postgresql":
        config = config.with_overrides(storage={"url": request.getfixturevalue("pg_url")})
    store = await open_store(config)
    yield store
    await store.close()


def german(**changes: Any) -> Any:
    usage = Usage(900, 700, 0, 0)
    base = replace(draft("Hafenstreik stoppt Getreideexporte"), language="de-DE")
    return replace(
        base, generator=Generator("claude", "m", "claude-translate-v1", usage), **changes
    )


async def test_each_language_is_its_own_variant(any_store: Any) -> None:
    english = await any_store.analyses.save(article(), draft(), created_at=T0)
    deutsch = await any_store.analyses.save(article(), german(), created_at=T0)
    assert deutsch.id != english.id
    assert deutsch.article_id == english.article_id
    assert deutsch.language == "de"  # stored as the base code
    assert await any_store.analyses.variants(english.article_id) == ("en", "de")


async def test_by_url_finds_the_asked_language_or_the_first_variant(any_store: Any) -> None:
    english = await any_store.analyses.save(article(), draft(), created_at=T0)
    deutsch = await any_store.analyses.save(article(), german(), created_at=T0)
    url = article().canonical_url
    assert (await any_store.analyses.by_url(url, "de")).id == deutsch.id
    assert (await any_store.analyses.by_url(url, "de-AT")).id == deutsch.id
    assert (await any_store.analyses.by_url(url)).id == english.id
    assert await any_store.analyses.by_url(url, "ja") is None


async def test_refresh_replaces_a_variant_in_place_and_keeps_the_others(any_store: Any) -> None:
    english = await any_store.analyses.save(article(), draft(), created_at=T0)
    deutsch = await any_store.analyses.save(article(), german(), created_at=T0)
    again = await any_store.analyses.save(article(), german(headline="Neu"), created_at=T0)
    assert again.id == deutsch.id
    assert again.headline == "Neu"
    assert (await any_store.analyses.by_id(english.id)).headline == english.headline
    assert await any_store.analyses.count() == 2


async def test_usage_is_recorded_per_variant(any_store: Any) -> None:
    await any_store.analyses.save(article(), draft(), created_at=T0)
    deutsch = await any_store.analyses.save(article(), german(), created_at=T0)
    assert deutsch.generator.usage == Usage(900, 700, 0, 0)
    assert deutsch.generator.prompt_version == "claude-translate-v1"


async def test_forget_removes_every_variant(any_store: Any) -> None:
    english = await any_store.analyses.save(article(), draft(), created_at=T0)
    deutsch = await any_store.analyses.save(article(), german(), created_at=T0)
    assert await any_store.analyses.forget(deutsch.id)
    assert await any_store.analyses.by_id(english.id) is None
    assert await any_store.analyses.count() == 0


async def test_categories_count_articles_not_variants(any_store: Any) -> None:
    await any_store.analyses.save(article(), draft(), created_at=T0)
    await any_store.analyses.save(article(), german(), created_at=T0)
    assert await any_store.analyses.category_counts() == {"Economy": 1}


async def test_a_later_translation_is_not_news_again(any_store: Any) -> None:
    await any_store.analyses.save(article(), draft(), created_at=T0)
    await any_store.analyses.save(article(), german(), created_at=T0 + timedelta(days=2))
    later = await any_store.analyses.created_between(
        ("Economy",), T0 + timedelta(days=1), T0 + timedelta(days=3)
    )
    assert later == []
    first = await any_store.analyses.created_between(
        ("Economy",), T0 - timedelta(hours=1), T0 + timedelta(days=3)
    )
    assert sorted(a.language for a in first) == ["de", "en"]


async def test_a_channel_language_is_stored_and_changed(any_store: Any) -> None:
    assert await any_store.channels.language("telegram:1") is None
    await any_store.channels.set_language("telegram:1", "de", T0)
    await any_store.channels.set_language("telegram:1", "ja", T0)
    await any_store.channels.set_language("discord:2", "ar", T0)
    assert await any_store.channels.language("telegram:1") == "ja"
    assert await any_store.channels.language("discord:2") == "ar"


async def test_migration_009_keeps_thoughts_and_ids(tmp_path: Path) -> None:
    """An existing database (schema 8) keeps its analyses, ids and Thoughts."""
    path = tmp_path / "old.db"
    store = await Store.open(path)
    saved = await store.analyses.save(article(), draft(), created_at=T0)
    await store.thoughts.react(saved.id, "web:x", "useful")
    await store.db.execute("PRAGMA user_version = 8")
    await store.db.conn.execute("DROP TABLE channel_settings")  # made by 009
    for later in ("pacing", "handled_updates"):  # made by 010: back to schema 8 for real
        await store.db.conn.execute(f"DROP TABLE {later}")
    await store.close()
    store = await Store.open(path)
    try:
        assert await store.db.user_version() >= 9
        assert (await store.analyses.by_id(saved.id)) is not None
        assert (await store.thoughts.counts(saved.id)).useful == 1
        again = await store.analyses.save(article(), german(), created_at=T0)
        assert again.id != saved.id
    finally:
        await store.close()


async def test_every_chosen_language_at_once(any_store: Any) -> None:
    await any_store.channels.set_language("telegram:1", "de", T0)
    await any_store.channels.set_language("discord:2", "ar", T0)
    assert await any_store.channels.languages() == {"telegram:1": "de", "discord:2": "ar"}
