"""Related articles: exclusions, reasons, limits, query safety, recency and embeddings."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Config
from bot.errors import ConfigError
from bot.models import Analysis, Article, Draft, Generator, Section
from bot.related import RelatedIndex
from bot.related.embeddings import reciprocal_rank_fusion
from bot.store import StoreContract
from tests.support.embedders import HashingEmbedder

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def store(any_store: StoreContract) -> StoreContract:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


async def put(
    store: StoreContract,
    slug: str,
    headline: str,
    dek: str,
    *,
    tags: tuple[str, ...] = (),
    category: str = "Business",
    body: str = "",
    days_ago: float = 1.0,
) -> Analysis:
    url = f"https://news.example/{slug}"
    draft = Draft(
        headline=headline,
        dek=dek,
        category=category,
        sections=(Section("What happened", (body or dek,)),),
        tags=tags,
        language="en",
        generator=Generator("offline", "test", "t1"),
    )
    article = Article(url, url, headline, dek, 30)
    return await store.analyses.save(article, draft, created_at=NOW - timedelta(days=days_ago))


async def harbour_story(store: StoreContract) -> dict[str, Analysis]:
    """A small archive: a port strike, its follow-up, a cross-category actor, noise."""
    return {
        "strike": await put(
            store,
            "strike",
            "Dockworkers strike halts the Veldhaven container terminal",
            "Cranes stood still as the Veldhaven dockworkers union walked out over pay.",
            tags=("Veldhaven", "dockworkers union"),
        ),
        "followup": await put(
            store,
            "followup",
            "Veldhaven strike ends with a three-year pay deal",
            "The dockworkers union accepted a raise and the container terminal reopened.",
            tags=("Veldhaven", "dockworkers union"),
        ),
        "shipping": await put(
            store,
            "shipping",
            "Shipping lines reroute cargo away from striking terminal",
            "Carriers diverted container vessels while cranes at the terminal stood still.",
            category="World",
        ),
        "noise": await put(
            store,
            "noise",
            "Orchestra announces a new season of free concerts",
            "The city orchestra will play twelve free concerts in parks this summer.",
            category="Culture",
        ),
    }


async def test_hits_explain_shared_entities_and_category(
    store: StoreContract, config: Config
) -> None:
    story = await harbour_story(store)
    hits = await RelatedIndex(store, config).find(story["strike"], now=NOW)
    assert hits[0].analysis.id == story["followup"].id
    assert hits[0].reason == "shares Veldhaven, dockworkers union · same category"


async def test_without_shared_entities_the_reason_names_common_words(
    store: StoreContract, config: Config
) -> None:
    story = await harbour_story(store)
    hits = await RelatedIndex(store, config).find(story["strike"], now=NOW)
    shipping = next(h for h in hits if h.analysis.id == story["shipping"].id)
    assert shipping.reason.startswith("both mention ")
    assert "container" in shipping.reason
    assert "same category" not in shipping.reason


async def test_unrelated_and_self_are_never_offered(store: StoreContract, config: Config) -> None:
    story = await harbour_story(store)
    hits = await RelatedIndex(store, config).find(story["strike"], now=NOW)
    ids = [h.analysis.id for h in hits]
    assert story["noise"].id not in ids
    assert story["strike"].id not in ids


async def test_an_analysis_about_nothing_else_has_no_related(
    store: StoreContract, config: Config
) -> None:
    story = await harbour_story(store)
    assert await RelatedIndex(store, config).find(story["noise"], now=NOW) == []


async def test_limit_comes_from_config_and_can_be_lowered(
    store: StoreContract, config: Config
) -> None:
    story = await harbour_story(store)
    one = RelatedIndex(store, config.with_overrides(related={"limit": 1}))
    assert len(await one.find(story["strike"], now=NOW)) == 1
    assert len(await RelatedIndex(store, config).find(story["strike"], limit=1, now=NOW)) == 1
    assert len(await RelatedIndex(store, config).find(story["strike"], now=NOW)) == 2


async def test_query_syntax_in_analysis_text_is_only_text(
    store: StoreContract, config: Config
) -> None:
    hostile = await put(
        store,
        "hostile",
        'Veldhaven "dockworkers" NOT strike OR (terminal*) NEAR(union',
        'headline: veldhaven AND - "" ^union {dek} : " OR',
        tags=('Veldhaven" OR "x', "dockworkers union"),
    )
    story = await harbour_story(store)
    hits = await RelatedIndex(store, config).find(hostile, now=NOW)
    assert {h.analysis.id for h in hits} >= {story["strike"].id, story["followup"].id}


async def test_copies_of_the_source_and_of_each_other_are_dropped(
    store: StoreContract, config: Config
) -> None:
    story = await harbour_story(store)
    await put(
        store,
        "copy-of-strike",
        "Dockworkers' strike halts the Veldhaven container terminal",
        "Syndicated: the Veldhaven dockworkers union walked out.",
        tags=("Veldhaven", "dockworkers union"),
    )
    await put(
        store,
        "copy-of-followup",
        "Veldhaven strike ends with a three-year pay deal agreed",
        "Syndicated: a pay deal ended the Veldhaven dockworkers strike.",
        tags=("Veldhaven", "dockworkers union"),
    )
    hits = await RelatedIndex(store, config).find(story["strike"], now=NOW)
    headlines = [h.analysis.headline for h in hits]
    assert not any(h.startswith("Dockworkers") for h in headlines)
    assert sum(h.startswith("Veldhaven strike ends") for h in headlines) == 1


async def test_newer_of_two_equal_matches_ranks_first(store: StoreContract, config: Config) -> None:
    source = await put(store, "src", "Quarry blast rattles Ostwick", "Ostwick quarry blast.")
    old = await put(store, "old", "Ostwick quarry owner fined", "Quarry blast.", days_ago=90)
    new = await put(
        store, "new", "Inquiry opens into Ostwick quarry blast", "Quarry blast.", days_ago=2
    )
    hits = await RelatedIndex(store, config).find(source, now=NOW)
    assert [h.analysis.id for h in hits] == [new.id, old.id]
    assert hits[0].score > hits[1].score
    later = NOW + timedelta(days=400)  # both are old now: the decay floor keeps them close
    far = await RelatedIndex(store, config).find(source, now=later)
    assert far[1].score / far[0].score > hits[1].score / hits[0].score


async def test_a_forgotten_analysis_is_never_offered(store: StoreContract, config: Config) -> None:
    story = await harbour_story(store)
    assert await store.analyses.forget(story["followup"].id)
    hits = await RelatedIndex(store, config).find(story["strike"], now=NOW)
    assert story["followup"].id not in {h.analysis.id for h in hits}


async def test_a_refreshed_analysis_is_matched_on_its_new_text(
    store: StoreContract, config: Config
) -> None:
    story = await harbour_story(store)
    refreshed = await put(
        store,
        "noise",
        "Orchestra plays for striking Veldhaven dockworkers",
        "Musicians joined the dockworkers union at the container terminal gates.",
        tags=("Veldhaven", "dockworkers union"),
        category="Culture",
    )
    assert refreshed.id == story["noise"].id
    hits = await RelatedIndex(store, config).find(story["strike"], now=NOW)
    assert refreshed.id in {h.analysis.id for h in hits}


# --- embeddings -------------------------------------------------------------------------


class ConceptEmbedder:
    """Maps synonyms to one axis, so meaning can match where words do not."""

    name = "concepts-test"
    dim = 3
    _axes = ({"automobile", "car", "vehicle"}, {"piano", "violin"}, {"wheat", "harvest"})

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            words = set(text.casefold().split())
            vectors.append([float(len(words & axis)) + 0.01 for axis in self._axes])
        return vectors


async def test_fusion_finds_a_neighbour_that_shares_no_words(
    store: StoreContract, config: Config
) -> None:
    source = await put(store, "auto", "Automobile sales rise", "automobile demand grows")
    car = await put(store, "car", "Dealers report brisk car business", "car vehicle orders")
    await put(store, "piano", "Piano maker expands", "piano violin workshop", category="Culture")
    assert await RelatedIndex(store, config).find(source, now=NOW) == []
    index = RelatedIndex(store, config, embedder=ConceptEmbedder())
    assert await index.backfill() == 3
    hits = await index.find(source, now=NOW)
    assert [h.analysis.id for h in hits] == [car.id]
    assert hits[0].reason == "same category"


async def test_vectors_are_stored_on_remember_and_removed_with_the_analysis(
    store: StoreContract, config: Config
) -> None:
    story = await harbour_story(store)
    index = RelatedIndex(store, config, embedder=HashingEmbedder(dim=32))
    await index.remember(story["strike"])
    assert await index.backfill() == 3
    assert await store.vectors.count() == 4
    await store.analyses.forget(story["strike"].id)
    assert await store.vectors.count() == 3
    assert await index.backfill() == 0


async def test_without_an_embedder_remember_and_backfill_do_nothing(
    store: StoreContract, config: Config
) -> None:
    story = await harbour_story(store)
    index = RelatedIndex(store, config)
    await index.remember(story["strike"])
    assert await index.backfill() == 0
    assert await store.vectors.count() == 0


def test_embeddings_on_without_the_extra_is_a_clear_error(
    store: StoreContract, config: Config
) -> None:
    with pytest.raises(ConfigError, match=r"pip install 'prism-bot\[embeddings\]'"):
        RelatedIndex(store, config.with_overrides(related={"embeddings": True}))


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    scores = reciprocal_rank_fusion([[1, 2, 3], [2, 3, 4]], k=60)
    assert max(scores, key=scores.__getitem__) == 2
    assert scores[1] == pytest.approx(1 / 61)
    assert scores[4] == pytest.approx(1 / 63)


def test_hashing_embedder_is_deterministic_and_unit_length() -> None:
    first, again, other = HashingEmbedder(dim=64).embed(["port strike", "port strike", "opera"])
    assert first == again
    assert math.isclose(math.fsum(x * x for x in first), 1.0)
    assert first != other


async def test_a_tag_that_most_analyses_carry_is_not_a_reason(
    store: StoreContract, config: Config
) -> None:
    topics = ["tulips", "glaciers", "violins", "chess", "falcons", "rowing", "ceramics"]
    for n in range(24):
        topic = topics[n % len(topics)]
        await put(store, f"filler-{n}", f"Note {n} on {topic}", f"About {topic}.", tags=("prices",))
    source = await put(
        store,
        "src",
        "Brindle Foods raises prices",
        "Brindle Foods.",
        tags=("Brindle Foods", "prices"),
    )
    sibling = await put(
        store,
        "sib",
        "Brindle Foods shares fall",
        "Brindle Foods.",
        tags=("Brindle Foods", "prices"),
    )
    hits = await RelatedIndex(store, config).find(source, now=NOW)
    assert [h.analysis.id for h in hits] == [sibling.id]
    assert hits[0].reason == "shares Brindle Foods, prices · same category"


async def test_reasons_are_never_built_from_generic_verbs(
    store: StoreContract, config: Config
) -> None:
    source = await put(
        store,
        "src",
        "Ostwick quarry blast becomes a test for the regulator",
        "The Ostwick quarry blast shows gaps; inspectors found cracks and added checks.",
    )
    hit = await put(
        store,
        "hit",
        "Ostwick quarry reopens after the blast",
        "Inspectors found the Ostwick quarry safe; it shows new fences and added checks.",
        days_ago=2,
    )
    hits = await RelatedIndex(store, config).find(source, now=NOW)
    assert [h.analysis.id for h in hits] == [hit.id]
    words = set(hits[0].reason.replace(",", " ").split())
    assert not words & {"becomes", "shows", "found", "added", "the", "and"}
