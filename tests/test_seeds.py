"""The shipped seeds: they load, they are varied, importing twice adds nothing."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import seeds
from bot.core import Core
from bot.ingest.seeds import InvalidSeed, SeedReport, import_seeds, load_seed
from bot.store import Store

SHIPPED = sorted(p for p in Path(str(seeds.folder())).glob("*.toml"))


def test_the_shipped_seeds_are_varied() -> None:
    loaded = [load_seed(path) for path in SHIPPED]
    categories = Counter(s.draft.category for s in loaded)
    assert len(loaded) >= 12
    assert len(categories) >= 5 and categories["Economy"] >= 3
    assert all(s.draft.generator.backend == "seed" for s in loaded)
    assert all(3 <= len(s.draft.sections) <= 5 for s in loaded)
    assert all(s.article.words >= 150 for s in loaded)
    assert len({s.article.canonical_url for s in loaded}) == len(loaded)


def test_seeds_keep_their_own_dates_spread_over_months() -> None:
    dates = sorted(load_seed(path).created_at for path in SHIPPED)
    assert dates[-1] < datetime.now(UTC) - timedelta(days=30)  # nothing for a first digest
    assert dates[-1] - dates[0] > timedelta(days=90)
    assert len({d.date() for d in dates}) == len(dates)


def test_some_seeds_share_actors_for_related() -> None:
    tags = Counter(t for path in SHIPPED for t in load_seed(path).draft.tags)
    assert tags["Bank of Norland"] >= 3
    assert tags["Brenner Motors"] >= 2


async def test_import_is_idempotent(store: Store) -> None:
    first = await import_seeds(store)
    assert first == SeedReport(added=len(SHIPPED), skipped=0)
    assert await import_seeds(store) == SeedReport(added=0, skipped=len(SHIPPED))
    assert await store.analyses.count() == len(SHIPPED)


async def test_imported_seed_reads_back(store: Store) -> None:
    await import_seeds(store)
    cut = await store.analyses.by_url(
        "https://www.harbourledger.example/economy/2026/02/12/bank-of-norland-cuts-rates"
    )
    assert cut is not None
    assert cut.headline == "Bank of Norland cuts rates for the first time in three years"
    assert cut.category == "Economy"
    assert cut.created_at == datetime(2026, 2, 12, 12, 10, tzinfo=UTC)
    assert (cut.generator.backend, cut.generator.model) == ("seed", "handwritten")
    assert cut.source.publisher == "The Harbour Ledger"
    article = await store.analyses.article(cut.article_id)
    assert article is not None and "first reduction in three years" in article.text


def _copy_one(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    source = SHIPPED[0]
    text = source.read_text(encoding="utf-8")
    if edit:
        assert edit[0] in text
        text = text.replace(edit[0], edit[1], 1)
    (folder / "one.toml").write_text(text, encoding="utf-8")
    return folder


async def test_import_from_a_folder(store: Store, tmp_path: Path) -> None:
    folder = _copy_one(tmp_path)
    assert await import_seeds(store, folder) == SeedReport(added=1, skipped=0)
    assert await import_seeds(store, str(folder)) == SeedReport(added=0, skipped=1)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("category = ", "kategory = "), r"seed one\.toml: category: missing"),
        (("headline = ", "colour = 1\nheadline = "), r"seed one\.toml: colour: unknown key"),
        (('language = "en"', 'language = "English"'), r"one\.toml: language: 'English'"),
        (('created_at = "', 'created_at = "yesterday'), r"one\.toml: created_at: not an ISO"),
        (('url = "https://', 'url = "ftp://'), r"seed one\.toml: url: "),
        (("tags = [", "tags = 3\nx = ["), r"seed one\.toml: tags: wrong type"),
        (('dek = "', 'dek = " "\nold_dek = "'), r"seed one\.toml: old_dek: unknown key"),
        (("heading = ", "title2 = 1\nheading = "), r"one\.toml: sections\[1\]: want exactly"),
        (("paragraphs = [", 'paragraphs = ["", '), r"sections\[1\]: paragraphs: every"),
        (("[[sections]]", "oops = ["), r"seed one\.toml: not valid TOML"),
    ],
)
async def test_a_bad_seed_names_the_file_and_key(
    store: Store, tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    folder = _copy_one(tmp_path, edit)
    with pytest.raises(InvalidSeed, match=message):
        await import_seeds(store, folder)
    assert await store.analyses.count() == 0  # nothing half-stored


async def test_too_few_sections_is_refused(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    text = SHIPPED[0].read_text(encoding="utf-8")
    head, _, _ = text.partition("[[sections]]")
    section = '[[sections]]\nheading = "Only one"\nparagraphs = ["Just this."]\n'
    (folder / "short.toml").write_text(head + section, encoding="utf-8")
    with pytest.raises(InvalidSeed, match=r"short\.toml: sections: want 3 to 5 sections, found 1"):
        await import_seeds(store, folder)


async def test_one_bad_file_stops_the_import_before_anything_is_stored(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(Path(str(seeds.folder())), folder, ignore=shutil.ignore_patterns("*.py*"))
    (folder / "zz-broken.toml").write_text('url = "https://example.org/x"\n', encoding="utf-8")
    with pytest.raises(InvalidSeed, match=r"zz-broken\.toml: publisher: missing"):
        await import_seeds(store, folder)
    assert await store.analyses.count() == 0


async def test_a_missing_folder_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidSeed, match="is not a folder"):
        await import_seeds(store, tmp_path / "nope")


async def test_a_seed_of_an_unconfigured_category_is_refused(core: Core, tmp_path: Path) -> None:
    folder = _copy_one(tmp_path, ('category = "', 'category = "Gardening'))
    with pytest.raises(InvalidSeed, match=r"seed one\.toml: category: '\w*Gardening\w*' is not"):
        await core.import_seeds(folder)
    assert await core.store.analyses.count() == 0


async def test_a_first_run_with_other_categories_gets_the_seeds_that_fit(
    store: Store, tmp_path: Path
) -> None:
    report = await import_seeds(store, None, ("economy",), skip_other_categories=True)
    assert report.added >= 3
    assert {a.category for a in await store.analyses.recent(50)} == {"economy"}
