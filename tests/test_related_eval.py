"""Relevance of related articles on the hand-labelled evaluation set.

The set (tests/fixtures/related/) holds original analyses in story clusters, cross-
category actors, syndicated copies and decoys; labels.toml was written before tuning.
The loader and the metric are also used by bench/bench_related.py.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from bot.config import Config
from bot.ingest.seeds import load_seed
from bot.models import Analysis, Article, Draft, Generator, Section
from bot.related import RelatedIndex
from bot.store import StoreContract, open_store
from tests.support.embedders import HashingEmbedder

FIXTURES = Path(__file__).parent / "fixtures" / "related"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EvalSet:
    analyses: dict[str, Analysis]  # key -> stored analysis
    related: dict[str, set[str]]  # source key -> relevant keys
    duplicates: dict[str, set[str]]  # key -> keys of its copies
    mateless: tuple[str, ...] = ()  # sources with no true mate: "nothing related yet"

    def key_of(self, analysis: Analysis) -> str:
        return next(k for k, a in self.analyses.items() if a.id == analysis.id)


def _draft(entry: dict[str, object]) -> Draft:
    sections = entry["sections"]
    assert isinstance(sections, list)
    return Draft(
        headline=str(entry["headline"]),
        dek=str(entry["dek"]),
        category=str(entry["category"]),
        sections=tuple(Section(s["heading"], tuple(s["paragraphs"])) for s in sections),
        tags=tuple(entry["tags"]),  # type: ignore[arg-type]
        language="en",
        generator=Generator("offline", "fixture", "eval"),
    )


async def load_seeds(store: StoreContract) -> dict[str, Analysis]:
    """The shipped seeds, saved as `prism-bot seeds import` saves them."""
    stored = {}
    for path in sorted(resources.files("seeds").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".toml"):
            seed = load_seed(path)
            stored[f"seed/{path.name.removesuffix('.toml')}"] = await store.analyses.save(
                seed.article, seed.draft, (seed.article.url,), created_at=seed.created_at
            )
    return stored


async def load_eval_set(store: StoreContract) -> EvalSet:
    """Save every fixture analysis and seed through the repository, with its own date."""
    stored = await load_seeds(store)
    data = tomllib.loads((FIXTURES / "analyses.toml").read_text(encoding="utf-8"))
    labels = tomllib.loads((FIXTURES / "labels.toml").read_text(encoding="utf-8"))
    for entry in data["analysis"]:
        url = entry["url"]
        article = Article(url, url, entry["headline"], entry["dek"], 40, site="news.example")
        created = entry["created"]
        stored[entry["key"]] = await store.analyses.save(article, _draft(entry), created_at=created)
    duplicates: dict[str, set[str]] = {}
    for group in labels["duplicates"]["groups"]:
        for key in group:
            duplicates[key] = set(group) - {key}
    related = {k: set(v) for k, v in (labels["related"] | labels["seed_related"]).items()}
    return EvalSet(stored, related, duplicates, tuple(labels["mateless"]["keys"]))


async def precision_at_3(index: RelatedIndex, data: EvalSet) -> float:
    """Mean over labelled sources of relevant-in-top-3 / min(3, number relevant).

    A copy of a relevant analysis (same story, near-identical headline) counts as it:
    which of the two copies is offered does not matter to a reader.
    """
    total = 0.0
    for key, labelled in data.related.items():
        relevant = labelled.union(*(data.duplicates.get(k, set()) for k in labelled))
        hits = await index.find(data.analyses[key], limit=3, now=NOW)
        found = sum(1 for h in hits if data.key_of(h.analysis) in relevant)
        total += found / min(3, len(relevant))
    return total / len(data.related)


async def precision_at_1(index: RelatedIndex, data: EvalSet) -> float:
    """Share of labelled sources whose first hit is relevant (a copy of one counts)."""
    right = 0
    for key, labelled in data.related.items():
        relevant = labelled.union(*(data.duplicates.get(k, set()) for k in labelled))
        hits = await index.find(data.analyses[key], limit=1, now=NOW)
        right += bool(hits) and data.key_of(hits[0].analysis) in relevant
    return right / len(data.related)


async def mateless_empty(index: RelatedIndex, data: EvalSet) -> float:
    """Share of sources with no true mate that are answered with nothing at all."""
    empty = [not await index.find(data.analyses[k], limit=5, now=NOW) for k in data.mateless]
    return sum(empty) / len(empty)


@pytest.fixture
def store(any_store: StoreContract) -> StoreContract:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


async def test_precision_at_3_meets_the_target(store: StoreContract, config: Config) -> None:
    data = await load_eval_set(store)
    assert len(data.analyses) >= 50
    assert await precision_at_3(RelatedIndex(store, config), data) >= 0.7


async def test_the_source_and_its_copies_never_appear(store: StoreContract, config: Config) -> None:
    data = await load_eval_set(store)
    index = RelatedIndex(store, config)
    for key, source in data.analyses.items():
        hits = await index.find(source, limit=10, now=NOW)
        keys = {data.key_of(h.analysis) for h in hits}
        assert key not in keys
        assert not keys & data.duplicates.get(key, set()), key


async def test_decoys_sharing_common_words_stay_out_of_the_top_3(
    store: StoreContract, config: Config
) -> None:
    data = await load_eval_set(store)
    index = RelatedIndex(store, config)
    decoys = {k for k in data.analyses if k.startswith("j")}
    leaked = []
    for key in data.related:
        hits = await index.find(data.analyses[key], limit=3, now=NOW)
        leaked += [
            (key, data.key_of(h.analysis)) for h in hits if data.key_of(h.analysis) in decoys
        ]
    assert leaked == []


async def test_fusion_with_a_hashing_embedder_keeps_precision(
    store: StoreContract, config: Config
) -> None:
    data = await load_eval_set(store)
    index = RelatedIndex(store, config, embedder=HashingEmbedder())
    assert await index.backfill() == len(data.analyses)
    assert await precision_at_3(index, data) >= 0.7


async def test_the_relevance_floor_answers_mateless_sources_with_nothing(
    store: StoreContract, config: Config
) -> None:
    data = await load_eval_set(store)
    index = RelatedIndex(store, config)
    assert len(data.mateless) >= 10
    assert await mateless_empty(index, data) >= 0.9
    assert await precision_at_1(index, data) >= 0.95
    assert await precision_at_3(index, data) >= 0.9


async def test_postgresql_ranks_within_005_of_sqlite(config: Config, pg_url: str) -> None:
    """Related ranking parity: the same labelled set, precision@1 on each backend."""
    figures = []
    for backend in (config, config.with_overrides(storage={"url": pg_url})):
        opened = await open_store(backend)
        try:
            data = await load_eval_set(opened)
            index = RelatedIndex(opened, backend)
            figures.append((await precision_at_1(index, data), await mateless_empty(index, data)))
        finally:
            await opened.close()
    (sqlite_p1, sqlite_empty), (pg_p1, pg_empty) = figures
    assert abs(pg_p1 - sqlite_p1) <= 0.05, figures
    assert abs(pg_empty - sqlite_empty) <= 0.05, figures
