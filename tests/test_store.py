"""The store: migrations from an empty file, atomic saves, in-place refresh, forget."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import Article, Draft, Generator, Section, Usage
from bot.store import Store


def article(n: int = 1, canonical: str | None = None) -> Article:
    url = f"https://news.example/story-{n}?utm_source=x"
    return Article(
        url=url,
        canonical_url=canonical or f"https://news.example/story-{n}",
        title=f"Story {n}",
        text="Some article text. " * 50,
        words=150,
        site="News Example",
        language="en",
    )


def draft(headline: str = "Harbour strike halts grain exports", category: str = "Economy") -> Draft:
    return Draft(
        headline=headline,
        dek="Dock workers walked out on Monday. Who pays for the delay?",
        category=category,
        sections=(
            Section("What happened", ("Workers stopped loading ships.",)),
            Section("What it means", ("Farmers face storage costs.", "Buyers look elsewhere.")),
        ),
        tags=("dock workers", "grain"),
        language="en",
        generator=Generator("offline", "offline-extractive-1", "offline-1", Usage(1, 2, 3, 4)),
        key_question="Who pays for the delay?",
    )


async def test_migrations_apply_to_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "fresh.db"
    store = await Store.open(path)
    version = (await store.db.fetchone("PRAGMA user_version"))[0]
    mode = (await store.db.fetchone("PRAGMA journal_mode"))[0]
    await store.close()
    assert version >= 1
    assert mode == "wal"
    reopened = await Store.open(path)  # a second start applies nothing twice
    assert await reopened.db.migrate() == []
    await reopened.close()


async def test_save_then_find_by_every_url(store: Store) -> None:
    saved = await store.analyses.save(article(), draft(), urls=("https://m.news.example/s1",))
    assert saved.id > 0
    assert saved.reading_minutes >= 1
    for url in (
        "https://news.example/story-1",
        "https://news.example/story-1?utm_source=x",
        "https://m.news.example/s1",
    ):
        found = await store.analyses.by_url(url)
        assert found is not None and found.id == saved.id
    assert saved.sections[1].paragraphs == ("Farmers face storage costs.", "Buyers look elsewhere.")
    assert saved.generator.usage == Usage(1, 2, 3, 4)
    assert saved.source.publisher == "News Example"


async def test_refresh_replaces_in_place(store: Store) -> None:
    first = await store.analyses.save(article(), draft("Old headline"))
    second = await store.analyses.save(article(), draft("New headline"))
    assert second.id == first.id
    assert second.headline == "New headline"
    assert await store.analyses.count() == 1
    hits = await store.db.fetchall(
        "SELECT rowid FROM analyses_fts WHERE analyses_fts MATCH ?", ("headline",)
    )
    assert [r[0] for r in hits] == [first.id]  # the index holds the new text only once
    old = await store.db.fetchall("SELECT rowid FROM analyses_fts WHERE analyses_fts MATCH 'old'")
    assert old == []


async def test_a_failed_save_stores_nothing(store: Store) -> None:
    # the article row is written first; the unserialisable tag fails after it
    bad = replace(draft(), tags=(object(),))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.analyses.save(article(), bad)
    assert await store.db.fetchall("SELECT * FROM articles") == []
    assert await store.db.fetchall("SELECT * FROM article_urls") == []
    assert await store.analyses.count() == 0


async def test_forget_removes_analysis_article_urls_and_index(store: Store) -> None:
    saved = await store.analyses.save(article(), draft())
    assert await store.analyses.forget(saved.id) is True
    assert await store.analyses.by_url("https://news.example/story-1") is None
    for table in ("articles", "article_urls", "analyses", "analyses_fts"):
        assert await store.db.fetchall(f"SELECT * FROM {table}") == [], table
    assert await store.analyses.forget(saved.id) is False


async def test_created_between_filters_and_orders(store: Store) -> None:
    times = [datetime(2026, 11, d, 9, tzinfo=UTC) for d in (20, 22, 24)]
    for n, moment in enumerate(times, 1):
        await store.analyses.save(article(n), draft(f"Story {n}"), created_at=moment)
    await store.analyses.save(article(9), draft("Other", "Sports"), created_at=times[2])
    found = await store.analyses.created_between(
        ("Economy",), datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
    )
    assert [a.headline for a in found] == ["Story 3", "Story 2"]


async def test_the_original_article_text_is_kept(store: Store) -> None:
    saved = await store.analyses.save(article(), draft())
    kept = await store.analyses.article(saved.article_id)
    assert kept is not None
    assert kept.text.startswith("Some article text.")
    assert kept.canonical_url == "https://news.example/story-1"


async def test_canonical_url_is_unique(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.db.execute(
            "INSERT INTO articles(canonical_url, title, text, words, fetched_at) "
            "VALUES ('x', 't', 't', 1, 'now'), ('x', 't', 't', 1, 'now')"
        )
