"""The text index and the vectors that related ranking reads, as every backend must."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.store import StoreContract
from tests.store_contract.samples import article, draft

WEIGHTS = (8.0, 6.0, 3.0, 1.0)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_terms_are_the_index_own_stems(backend: StoreContract) -> None:
    one, two, empty = await backend.text.terms(["Strikes halted", "strike", ""])
    assert one == (await backend.text.terms(["strike halt"]))[0]
    assert two <= one
    assert empty == set()


async def test_document_frequencies_and_archive_size(backend: StoreContract) -> None:
    await backend.analyses.save(article(1), draft(body="Barges wait on the Rhine."))
    b = await backend.analyses.save(article(2), draft(headline="Rhine barges stuck"))
    (barge,) = await backend.text.terms(["barges"])
    (rhine,) = await backend.text.terms(["Rhine"])
    (term,) = barge
    counts, total = await backend.text.document_frequencies([term, *rhine, "zzzunknown"])
    assert counts == {term: 2, next(iter(rhine)): 2}
    assert total == b.id
    assert await backend.text.document_frequencies([]) == ({}, b.id)


async def test_match_ranks_by_weighted_columns_and_excludes(backend: StoreContract) -> None:
    body = await backend.analyses.save(article(1), draft(headline="Port news", body="Rhine."))
    head = await backend.analyses.save(article(2), draft(headline="Rhine level falls"))
    other = await backend.analyses.save(article(3), draft(headline="Opera", tags=("opera",)))
    found = await backend.text.match(["Rhine", "nothing"], WEIGHTS, exclude_id=other.id, limit=10)
    assert list(found) == [head.id, body.id]
    assert found[head.id] > found[body.id]
    mine = await backend.text.match(["Rhine"], WEIGHTS, exclude_id=head.id, limit=10)
    assert list(mine) == [body.id]
    assert await backend.text.match(['"OR*', "x AND"], WEIGHTS, 0, 10) == {}
    assert await backend.text.match([], WEIGHTS, 0, 10) == {}
    assert len(await backend.text.match(["Rhine"], WEIGHTS, 0, 1)) == 1


async def test_briefs_hold_what_scoring_reads(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft(), created_at=T0)
    (brief,) = await backend.text.briefs([saved.id, saved.id + 7])
    assert (brief.id, brief.article_id, brief.canonical_url) == (
        saved.id,
        saved.article_id,
        "https://news.example/story-1",
    )
    assert (brief.headline, brief.category, brief.tags) == (
        saved.headline,
        "Economy",
        ("dock workers", "grain"),
    )
    assert brief.created_at == T0
    assert await backend.text.briefs([]) == []


async def test_vectors_are_stored_missing_and_read_incrementally(backend: StoreContract) -> None:
    a = await backend.analyses.save(article(1), draft())
    b = await backend.analyses.save(article(2), draft())
    assert await backend.vectors.missing("m", 10) == [a.id, b.id]
    await backend.vectors.save("m", [(a.id, [0.6, 0.8])])
    assert await backend.vectors.missing("m", 10) == [b.id]
    assert await backend.vectors.missing("other", 1) == [a.id]
    (first,) = await backend.vectors.since("m", 0)
    assert first.analysis_id == a.id
    assert list(first.vector) == pytest.approx([0.6, 0.8])
    await backend.vectors.save("m", [(b.id, [1.0, 0.0]), (a.id, [0.0, 1.0])])
    newer = await backend.vectors.since("m", first.seq)
    assert [v.analysis_id for v in newer] == [b.id, a.id]
    assert await backend.vectors.count("m") == 2 and await backend.vectors.count() == 2
    await backend.analyses.forget(a.id)  # a forgotten analysis takes its vector along
    assert await backend.vectors.count() == 1


async def test_schema_version_and_description(backend: StoreContract) -> None:
    assert await backend.schema_version() >= 3
    assert backend.describe()


async def test_document_frequencies_follow_refresh_and_forget(backend: StoreContract) -> None:
    a = await backend.analyses.save(article(1), draft(headline="Rhine barges stuck"))
    await backend.analyses.save(article(2), draft(headline="Rhine level falls"))
    (rhine,) = await backend.text.terms(["Rhine"])
    (term,) = rhine
    assert (await backend.text.document_frequencies([term]))[0] == {term: 2}
    await backend.analyses.save(article(1), draft(headline="Danube barges stuck"))
    assert (await backend.text.document_frequencies([term]))[0] == {term: 1}
    await backend.analyses.forget(a.id)
    (danube,) = await backend.text.terms(["Danube"])
    assert (await backend.text.document_frequencies([*danube]))[0] == {}
