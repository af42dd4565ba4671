"""Story clustering: quality on the labelled set, signatures, the bounded index."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.stories import Signature, StoryIndex, pairwise, signature
from bot.stories.signature import names, numbers, words

LABELLED = Path(__file__).parent / "fixtures" / "stories" / "articles.toml"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def labelled() -> list[dict[str, str]]:
    articles = tomllib.loads(LABELLED.read_text())["articles"]
    return sorted(articles, key=lambda a: a["published"])


def test_the_labelled_set_is_big_enough() -> None:
    articles = labelled()
    events = {a["event"] for a in articles if not a["event"].startswith("decoy")}
    decoys = [a for a in articles if a["event"].startswith("decoy")]
    assert len(events) >= 10 and len(decoys) >= 2
    for event in events:
        outlets = {a["outlet"] for a in articles if a["event"] == event}
        assert len(outlets) == 3, event


def test_clustering_meets_its_targets_on_the_labelled_set() -> None:
    index = StoryIndex()
    assigned = {}
    for art in labelled():
        story, _ = index.assign(
            int(art["id"]), signature(art["title"], art["text"]),
            datetime.fromisoformat(art["published"]),
        )  # fmt: skip
        assigned[str(art["id"])] = story
    quality = pairwise({str(a["id"]): a["event"] for a in labelled()}, assigned)
    assert quality.precision >= 0.95
    assert quality.recall >= 0.85
    assert quality.joined_singletons == ()


def test_features_are_names_numbers_and_stemmed_words() -> None:
    text = "Norrtek agrees to buy Brightwave for $2.3 billion, paying 1,200 workers."
    assert {"norrtek", "brightwave"} <= names(text)
    assert {"2.3", "1200"} <= numbers(text)
    assert words("the striking of the strikes") == {"strik"}


def test_signatures_round_trip_through_bytes() -> None:
    sig = signature("A title", "Some text about Valmora and 3,200 dockers.")
    assert Signature.from_bytes(sig.to_bytes()) == sig
    with pytest.raises(ValueError, match="wrong size"):
        Signature.from_bytes(b"short")


def test_an_empty_article_joins_nothing() -> None:
    index = StoryIndex()
    assert index.assign(1, signature("", ""), T0) == (1, False)
    assert index.assign(2, signature("", ""), T0) == (2, False)


def test_articles_outside_the_window_do_not_join() -> None:
    index = StoryIndex(window=timedelta(days=2))
    art = labelled()[0]
    sig = signature(art["title"], art["text"])
    first, _ = index.assign(1, sig, T0)
    assert index.assign(2, sig, T0 + timedelta(hours=1)) == (first, True)
    later, joined = index.assign(3, sig, T0 + timedelta(days=5))
    assert later != first and not joined


def test_memory_is_bounded_by_the_window_and_max_entries() -> None:
    index = StoryIndex(window=timedelta(hours=1), max_entries=50)
    for n in range(200):
        index.assign(n, signature(f"Title {n}", f"Event number {n} in town {n}"), T0)
    assert len(index) == 50
    for n in range(10):
        index.assign(1000 + n, signature("x", f"late {n}"), T0 + timedelta(days=1, minutes=n))
    assert len(index) == 10


def test_reloaded_members_keep_their_story() -> None:
    index = StoryIndex()
    sig = signature("Dockers strike at Valmora", "3,200 dockers at Valmora strike for 9% more")
    assert index.assign(5, sig, T0, story=42) == (42, False)
    assert index.assign(6, sig, T0) == (42, True)
    assert index.assign(7, signature("x", "unrelated text entirely"), T0)[0] == 43
