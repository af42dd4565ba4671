"""The web site in several languages: `?lang=` finds a variant's page, pages link their
other languages, and right-to-left text keeps its direction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from bot.config import Config
from bot.models import Analysis, Section
from bot.permalinks import page_path
from tests.support.browser import LiveSite, start_site
from tests.test_store import draft

ARABIC = "وافق مجلس المدينة على خطة الحافلات الجديدة"


@pytest.fixture
async def site(config: Config) -> AsyncIterator[LiveSite]:
    async for live in start_site(config):
        yield live


@pytest.fixture
async def http(site: LiveSite) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=site.url, timeout=5.0) as client:
        yield client


async def arabic_variant(site: LiveSite) -> Analysis:
    article = await site.core.store.analyses.article(site.seed.article_id)
    assert article is not None
    arabic = replace(
        draft(headline=ARABIC),
        category=site.seed.category,
        language="ar",
        dek=ARABIC + "؟",
        sections=(Section(ARABIC, (ARABIC + ".",)),),
    )
    return await site.core.store.analyses.save(article, arabic)


async def test_lang_redirects_to_the_variant_page(site: LiveSite, http: httpx.AsyncClient) -> None:
    arabic = await arabic_variant(site)
    response = await http.get(f"/a/{site.seed.id}?lang=ar")
    assert response.status_code == 302
    assert response.headers["location"] == page_path(arabic.id, arabic.headline)


async def test_an_rtl_page_is_marked_rtl_and_links_the_other_language(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    arabic = await arabic_variant(site)
    html = (await http.get(page_path(arabic.id, arabic.headline))).text
    assert '<html lang="ar" dir="rtl">' in html
    assert f"<h1><bdi>{ARABIC}</bdi></h1>" in html
    assert f'<p class="lead" dir="auto">{ARABIC}؟</p>' in html
    seed_path = page_path(site.seed.id, site.seed.headline)
    lang = site.seed.language
    assert f'<a href="{seed_path}" hreflang="{lang}" lang="{lang}">' in html
    assert f'<link rel="alternate" hreflang="{lang}" href="{site.url}{seed_path}">' in html


async def test_the_original_links_its_translation(site: LiveSite, http: httpx.AsyncClient) -> None:
    arabic = await arabic_variant(site)
    html = (await http.get(page_path(site.seed.id, site.seed.headline))).text
    assert f'href="{page_path(arabic.id, arabic.headline)}" hreflang="ar"' in html
    assert "العربية" in html


async def test_a_missing_language_is_a_404_that_says_so(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    response = await http.get(f"/a/{site.seed.id}?lang=ja")
    assert response.status_code == 404
    assert "no 日本語 (ja) version" in response.text


async def test_an_unknown_language_is_a_400_naming_the_code(
    site: LiveSite, http: httpx.AsyncClient
) -> None:
    response = await http.get(f"/a/{site.seed.id}?lang=xx")
    assert response.status_code == 400
    assert "unknown language code &#39;xx&#39;" in response.text


async def test_lang_on_a_missing_analysis_is_a_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/a/99999?lang=de")
    assert response.status_code == 404
