"""The web site through its public entry point: real HTTP against a real server on port 0."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator

import feedparser
import httpx
import pytest

from bot.config import Config
from bot.models import Thoughts
from bot.permalinks import page_path
from tests.support.browser import LiveSite, start_site
from tests.support.stores import sqlite


@pytest.fixture
async def site(config: Config) -> AsyncIterator[LiveSite]:
    async for live in start_site(config):
        yield live


@pytest.fixture
async def http(site: LiveSite) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=site.url, timeout=5.0) as client:
        yield client


def _token(html: str) -> str:
    found = re.search(r'name="token" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


async def test_home_lists_the_latest_analyses_with_safe_headers(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    response = await http.get("/")
    assert response.status_code == 200
    assert site.seed.headline.split()[0] in response.text
    assert f'href="{page_path(site.seed.id, site.seed.headline)}"' in response.text
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_an_analysis_page_has_the_shape_of_the_example(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    a = site.seed
    response = await http.get(page_path(a.id, a.headline))
    html = response.text
    assert response.status_code == 200
    assert f'<html lang="{a.language}">' in html
    assert html.count("<h1>") == 1
    assert html.count("<article>") == 1
    assert f"{a.reading_minutes} min read" in html
    assert 'rel="nofollow noopener noreferrer"' in html
    assert "Sample analysis" in html  # seeds carry their honest label
    assert html.count("<h2>") >= len(a.sections) + 3  # sections, Thoughts, Related, provenance
    assert 'name="kind" value="useful"' in html
    assert 'name="kind" value="inaccurate"' in html
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:url" content="{site.url}{page_path(a.id, a.headline)}">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert a.generator.model in html and a.generator.prompt_version in html


async def test_the_related_section_links_to_pages_with_reasons(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    hits = await site.core.related_to(site.seed)
    assert hits
    html = (await http.get(f"/a/{site.seed.id}")).text
    first = hits[0].analysis
    assert f'href="{page_path(first.id, first.headline)}"' in html
    assert hits[0].reason.split(" ")[0] in html


async def test_a_wrong_slug_is_redirected_to_the_right_one(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    response = await http.get(f"/a/{site.seed.id}-not-the-headline")
    assert response.status_code == 301
    assert response.headers["Location"] == page_path(site.seed.id, site.seed.headline)
    assert (await http.get(f"/a/{site.seed.id}")).status_code == 200


@pytest.mark.parametrize(
    "path", ["/a/not-a-number", "/a/999999", "/a/999999-slug", "/c/unknown", "/nowhere"]
)
async def test_missing_pages_are_real_404_pages(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 404
    assert "<h1>" in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_category_is_found_whatever_its_case(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    for path in ("/c/economy", "/c/ECONOMY", "/c/Economy"):
        response = await http.get(path)
        assert response.status_code == 200
        assert "<h1>Economy</h1>" in response.text


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "rates OR NEAR(a b) * ^x", "col:umn - AND", "((((", "a" * 10_240],
)
async def test_search_takes_any_query_as_words(http: httpx.AsyncClient, query: str) -> None:
    response = await http.get("/search", params={"q": query})
    assert response.status_code == 200
    assert "<h1>" in response.text


async def test_search_finds_by_words(site: LiveSite, http: httpx.AsyncClient) -> None:
    response = await http.get("/search", params={"q": "Norland"})
    assert response.status_code == 200
    assert "/a/" in response.text


async def test_hostile_text_is_escaped_everywhere(site: LiveSite, http: httpx.AsyncClient) -> None:
    html = (await http.get(f"/a/{site.hostile.id}")).text
    assert "<script" not in html
    assert "<img" not in html and "<svg" not in html and "<b>bold" not in html
    assert "&lt;/script&gt;&lt;script&gt;" in html
    assert "@everyone" in html  # shown as the text it is; nothing pings on the web
    for path in ("/", "/c/economy", "/search?q=Markup", "/feed.atom"):
        body = (await http.get(path)).text
        assert "<script" not in body and "<img" not in body


async def test_a_javascript_source_is_not_a_link(site: LiveSite, http: httpx.AsyncClient) -> None:
    html = (await http.get(f"/a/{site.hostile.id}")).text
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert not [h for h in hrefs if h.strip().lower().startswith("javascript")]
    assert "Source: &lt;i&gt;Evil&lt;/i&gt; Press" in html


async def test_feeds_are_valid_atom(site: LiveSite, http: httpx.AsyncClient) -> None:
    for path in ("/feed.atom", "/c/economy/feed.atom"):
        response = await http.get(path)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/atom+xml")
        parsed = feedparser.parse(response.content)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        assert parsed.entries
        assert all(e.link.startswith(site.url + "/a/") for e in parsed.entries)
    hostile = feedparser.parse((await http.get("/feed.atom")).content)
    assert any("</script>" in e.title for e in hostile.entries)  # the text, as text
    assert (await http.get("/c/unknown/feed.atom")).status_code == 404


async def test_sitemap_robots_and_health(site: LiveSite, http: httpx.AsyncClient) -> None:
    sitemap = await http.get("/sitemap.xml")
    assert sitemap.status_code == 200
    assert f"<loc>{site.url}/a/{site.seed.id}-" in sitemap.text
    robots = await http.get("/robots.txt")
    assert f"Sitemap: {site.url}/sitemap.xml" in robots.text
    health = await http.get("/healthz")
    assert (health.status_code, health.text) == (200, "ok\n")


async def test_pages_carry_validators_and_compress(site: LiveSite, http: httpx.AsyncClient) -> None:
    path = page_path(site.seed.id, site.seed.headline)
    first = await http.get(path, headers={"Accept-Encoding": "identity"})
    assert first.headers["Last-Modified"].endswith("GMT")
    again = await http.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    async with httpx.AsyncClient(base_url=site.url) as raw:
        request = raw.build_request("GET", path, headers={"Accept-Encoding": "gzip"})
        streamed = await raw.send(request, stream=True)
        body = b"".join([chunk async for chunk in streamed.aiter_raw()])
        await streamed.aclose()
    assert streamed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == first.content


async def test_a_reader_reacts_and_changes_their_mind(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    path = f"/a/{site.seed.id}"
    token = _token((await http.get(path)).text)  # sets the reader cookie
    posted = await http.post(f"{path}/thoughts", data={"token": token, "kind": "useful"})
    assert posted.status_code == 303
    assert posted.headers["Location"] == f"/a/{site.seed.id}#thoughts"
    assert await site.core.thoughts(site.seed.id) == Thoughts(useful=1, inaccurate=0)
    await http.post(f"{path}/thoughts", data={"token": token, "kind": "inaccurate"})
    counts = await site.core.thoughts(site.seed.id)
    assert (counts.useful, counts.inaccurate) == (0, 1)
    html = (await http.get(path)).text
    assert re.search(r'value="inaccurate">Inaccurate <span class="count">1</span>', html)


async def test_a_forged_post_without_the_token_is_refused(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    path = f"/a/{site.seed.id}"
    await http.get(path)
    forged = await http.post(f"{path}/thoughts", data={"kind": "inaccurate"})
    assert forged.status_code == 403
    assert "Form expired" in forged.text
    wrong = await http.post(f"{path}/thoughts", data={"kind": "inaccurate", "token": "0" * 32})
    assert wrong.status_code == 403
    assert (await site.core.thoughts(site.seed.id)).inaccurate == 0


async def test_a_post_without_the_reader_cookie_is_refused(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    token = _token((await http.get(f"/a/{site.seed.id}")).text)
    async with httpx.AsyncClient(base_url=site.url) as stranger:  # no cookie
        response = await stranger.post(
            f"/a/{site.seed.id}/thoughts", data={"token": token, "kind": "useful"}
        )
    assert response.status_code == 403
    assert "No reader cookie" in response.text


async def test_an_unknown_reaction_is_a_bad_request(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    token = _token((await http.get(f"/a/{site.seed.id}")).text)
    response = await http.post(
        f"/a/{site.seed.id}/thoughts", data={"token": token, "kind": "<angry>"}
    )
    assert response.status_code == 400
    assert "&lt;angry&gt;" in response.text


async def test_a_flood_of_posts_from_one_client_is_limited(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    token = _token((await http.get(f"/a/{site.seed.id}")).text)
    statuses = [
        (
            await http.post(f"/a/{site.seed.id}/thoughts", data={"token": token, "kind": "useful"})
        ).status_code
        for _ in range(8)
    ]
    assert statuses[:5] == [303] * 5
    assert statuses[5:] == [429] * 3
    assert (await http.get("/")).status_code == 200  # reading is not limited


async def test_posting_to_a_missing_analysis_is_404(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    await http.get(f"/a/{site.seed.id}")
    token = site.adapter.site.signer.token(999999)
    response = await http.post("/a/999999/thoughts", data={"token": token, "kind": "useful"})
    assert response.status_code == 404


async def test_healthz_is_503_when_the_store_does_not_answer(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    await sqlite(site.core.store).db.conn.close()
    response = await http.get("/healthz")
    assert response.status_code == 503
    assert response.text == "store unavailable\n"


async def test_search_and_error_pages_are_not_indexed(http: httpx.AsyncClient) -> None:
    for path in ("/search?q=rates", "/nowhere"):
        assert '<meta name="robots" content="noindex">' in (await http.get(path)).text
    assert 'content="noindex"' not in (await http.get("/")).text


async def test_links_use_base_url_when_set(config: Config) -> None:
    async for live in start_site(config, base_url="https://news.example/"):
        async with httpx.AsyncClient(base_url=live.url) as client:
            html = (await client.get(f"/a/{live.seed.id}")).text
            feed = feedparser.parse((await client.get("/feed.atom")).content)
        path = page_path(live.seed.id, live.seed.headline)
        assert f'<meta property="og:url" content="https://news.example{path}">' in html
        assert all(e.link.startswith("https://news.example/a/") for e in feed.entries)


async def test_the_adapter_stops_cleanly_and_frees_its_port(config: Config) -> None:
    async for live in start_site(config):
        adapter, url = live.adapter, live.url
        await adapter.stop()
        await adapter.stop()  # idempotent
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(url + "/healthz")
        await adapter.start()  # the same adapter serves again
        async with httpx.AsyncClient(base_url=adapter.url) as client:
            assert (await client.get("/healthz")).status_code == 200
