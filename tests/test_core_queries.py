"""Core's typed queries: what the CLI, the adapters and the web site ask of it."""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.errors import NotFound


@pytest.fixture
async def seeded(core: Core) -> Core:
    report = await core.seed_if_empty()
    assert report is not None and report.added >= 10
    return core


async def test_seed_if_empty_seeds_once(seeded: Core) -> None:
    assert await seeded.seed_if_empty() is None


async def test_recent_is_newest_first_and_filters_by_category(seeded: Core) -> None:
    newest = await seeded.recent(limit=5)
    assert len(newest) == 5
    assert [a.created_at for a in newest] == sorted((a.created_at for a in newest), reverse=True)
    economy = await seeded.recent(limit=50, category="Economy")
    assert economy and {a.category for a in economy} == {"Economy"}


async def test_category_counts_name_every_configured_category(seeded: Core) -> None:
    counts = await seeded.category_counts()
    assert list(counts) == list(seeded.config.categories.names)
    assert counts["Economy"] == len(await seeded.recent(limit=50, category="Economy"))
    assert sum(counts.values()) == len(await seeded.recent(limit=100))


async def test_search_needs_every_word_and_treats_syntax_as_text(seeded: Core) -> None:
    [first, *_] = await seeded.recent(limit=1)
    word = max(first.headline.split(), key=len).strip(",.:;“”\"'")
    hits = await seeded.search(word)
    assert first.id in [a.id for a in hits]
    assert await seeded.search(f"{word} zzzunknownword") == []
    for hostile in ('"', "NEAR(a b)", "a* OR -b", "^col:x", "", "   "):
        await seeded.search(hostile)  # no FTS5 syntax error reaches the caller
    assert await seeded.search("x" * 10_000) == []


async def test_forget_by_id_then_not_found(seeded: Core) -> None:
    [first, *_] = await seeded.recent(limit=1)
    gone = await seeded.forget(str(first.id))
    assert gone.id == first.id
    with pytest.raises(NotFound):
        await seeded.forget(str(first.id))
