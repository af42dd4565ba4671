"""The analyses repository, as every backend must behave."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.store import StoreContract
from tests.store_contract.samples import article, draft

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_a_saved_analysis_is_found_by_every_url_and_id(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft(), urls=("https://m.news.example/s1",))
    for url in (
        "https://news.example/story-1",
        "https://news.example/story-1?utm_source=x",
        "https://m.news.example/s1",
    ):
        found = await backend.analyses.by_url(url)
        assert found is not None and found.id == saved.id, url
    assert await backend.analyses.by_id(saved.id) == saved
    assert await backend.analyses.by_url("https://news.example/other") is None
    assert await backend.analyses.by_id(saved.id + 1) is None


async def test_a_saved_analysis_keeps_every_field(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft(), created_at=T0)
    assert saved.headline == "Harbour strike halts grain exports"
    assert saved.tags == ("dock workers", "grain")
    assert saved.sections[1].paragraphs == ("Farmers face storage costs.",)
    assert saved.source.publisher == "News Example"
    assert saved.generator.usage.cache_read_tokens == 4
    assert saved.created_at == T0
    assert saved.requests == 0


async def test_the_article_text_is_kept_for_a_refresh(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft())
    stored = await backend.analyses.article(saved.article_id)
    assert stored is not None and stored.text == article().text
    assert await backend.analyses.article(saved.article_id + 100) is None


async def test_saving_again_replaces_in_place(backend: StoreContract) -> None:
    first = await backend.analyses.save(article(), draft())
    again = await backend.analyses.save(article(), draft(headline="Strike ends after a week"))
    assert again.id == first.id
    assert again.headline == "Strike ends after a week"
    assert await backend.analyses.count() == 1
    assert [a.id for a in await backend.analyses.search("week")] == [first.id]
    assert await backend.analyses.search("halts") == []


async def test_many_leaves_out_missing_ids(backend: StoreContract) -> None:
    a = await backend.analyses.save(article(1), draft())
    b = await backend.analyses.save(article(2), draft())
    found = await backend.analyses.many([a.id, b.id, b.id + 10])
    assert sorted(found) == [a.id, b.id]
    assert await backend.analyses.many([]) == {}


async def test_another_url_leads_to_a_known_article(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft())
    await backend.analyses.add_url(saved.article_id, "https://amp.news.example/s1")
    await backend.analyses.add_url(saved.article_id, "https://amp.news.example/s1")  # twice: ok
    found = await backend.analyses.by_url("https://amp.news.example/s1")
    assert found is not None and found.id == saved.id


async def test_forget_removes_the_analysis_its_article_and_urls(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft())
    assert await backend.analyses.forget(saved.id) is True
    assert await backend.analyses.forget(saved.id) is False
    assert await backend.analyses.by_url("https://news.example/story-1") is None
    assert await backend.analyses.article(saved.article_id) is None
    assert await backend.analyses.search("harbour") == []
    assert await backend.analyses.count() == 0


async def test_recent_is_newest_first_and_filters_by_category(backend: StoreContract) -> None:
    old = await backend.analyses.save(article(1), draft(category="Economy"), created_at=T0)
    new = await backend.analyses.save(
        article(2), draft(category="Science"), created_at=T0 + timedelta(hours=1)
    )
    assert [a.id for a in await backend.analyses.recent()] == [new.id, old.id]
    assert [a.id for a in await backend.analyses.recent(1)] == [new.id]
    assert [a.id for a in await backend.analyses.recent(category="Economy")] == [old.id]
    assert await backend.analyses.category_counts() == {"Economy": 1, "Science": 1}


async def test_search_needs_every_word_and_takes_no_syntax(backend: StoreContract) -> None:
    grain = await backend.analyses.save(article(1), draft())
    await backend.analyses.save(article(2), draft(headline="Opera season opens", tags=("opera",)))
    assert [a.id for a in await backend.analyses.search("harbour grain")] == [grain.id]
    assert await backend.analyses.search("harbour opera") == []
    assert await backend.analyses.search('grain" OR "opera') == []  # quoted, not syntax
    assert await backend.analyses.search("*** ((") == []
    assert len(await backend.analyses.search("grain", limit=1)) == 1


async def test_created_between_is_a_half_open_window(backend: StoreContract) -> None:
    a = await backend.analyses.save(article(1), draft(), created_at=T0)
    b = await backend.analyses.save(article(2), draft(), created_at=T0 + timedelta(hours=2))
    await backend.analyses.save(article(3), draft(category="Science"), created_at=T0)
    window = await backend.analyses.created_between(
        ("Economy",), T0 - timedelta(seconds=1), T0 + timedelta(hours=2)
    )
    assert [x.id for x in window] == [b.id, a.id]
    later = await backend.analyses.created_between(("Economy",), T0, T0 + timedelta(hours=3))
    assert [x.id for x in later] == [b.id]
    assert await backend.analyses.created_between((), T0, T0 + timedelta(days=1)) == []


async def test_a_refresh_keeps_requests_and_created_at(backend: StoreContract) -> None:
    first = await backend.analyses.save(article(), draft(), created_at=T0)
    backend.usage.record_request(first.id, "u1", "console:local", "cached")
    await backend.usage.flush()
    again = await backend.analyses.save(
        article(), replace(draft(), dek="New lead."), created_at=T0 + timedelta(days=1)
    )
    assert again.requests == 1
    assert again.created_at == T0
