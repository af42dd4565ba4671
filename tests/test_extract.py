"""Extraction of the fixture pages: text, metadata, charsets, canonical links, fallbacks."""

from __future__ import annotations

import asyncio
import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.config import Config, ExtractConfig
from bot.errors import NotAnArticle
from bot.ingest.extract import Extractor, decode_html
from bot.ingest.fetch import Fetcher
from bot.models import Article, Page
from tests.support import corpus
from tests.support.site import PAGES_DIR, Site, article_site  # noqa: F401 (fixture)

BASE = "http://127.0.0.1:8000"
MANIFEST: list[dict[str, Any]] = tomllib.loads(
    (PAGES_DIR / "manifest.toml").read_text(encoding="utf-8")
)["pages"]
ARTICLES = [p for p in MANIFEST if p["is_article"]]
NOT_ARTICLES = [p for p in MANIFEST if not p["is_article"]]


def page(name: str, charset: str | None = None, final_url: str | None = None) -> Page:
    """A fixture page as the fetcher would hand it over."""
    url = f"{BASE}/{name}"
    body = (PAGES_DIR / name).read_bytes()
    return Page(url, final_url or url, 200, "text/html", charset, body)


@pytest.fixture
def extractor() -> Extractor:
    return Extractor(ExtractConfig())


def extract(extractor: Extractor, entry: dict[str, Any]) -> Article:
    return extractor.extract_sync(page(entry["file"], entry.get("charset")))


def test_the_fixture_set_is_varied_enough() -> None:
    files = {p.name for p in PAGES_DIR.glob("*.html")}
    assert files == {p["file"] for p in MANIFEST}
    assert len(ARTICLES) >= 12
    assert len({p["category"] for p in ARTICLES}) >= 6
    assert {"es", "de", "ru", "ko"} <= {p["language"] for p in ARTICLES}


@pytest.mark.parametrize("entry", ARTICLES, ids=lambda e: e["file"])
def test_every_article_page_extracts(extractor: Extractor, entry: dict[str, Any]) -> None:
    article = extract(extractor, entry)
    assert article.title == entry["title"]
    assert article.language == entry["language"]
    assert 150 <= article.words <= 1200
    assert article.url == f"{BASE}/{entry['file']}"
    expected = f"{BASE}{entry['canonical']}" if "canonical" in entry else article.url
    assert article.canonical_url == expected
    assert "\n\n" in article.text  # paragraphs are kept
    assert not article.text.startswith(entry["title"])  # the <h1> is not repeated


@pytest.mark.parametrize("entry", NOT_ARTICLES, ids=lambda e: e["file"])
def test_pages_without_an_article_are_refused(extractor: Extractor, entry: dict[str, Any]) -> None:
    with pytest.raises(NotAnArticle, match="no article text found on that page"):
        extract(extractor, entry)


def test_boilerplate_is_left_out(extractor: Extractor) -> None:
    article = extractor.extract_sync(page("economy-rates.html"))
    assert "Bank of Norland left its main policy rate unchanged" in article.text
    for noise in ("Accept all", "cookies", "Advertisement", "Most read", "fjordwatcher"):
        assert noise not in article.text


def test_metadata_from_json_ld_and_opengraph(extractor: Extractor) -> None:
    food = extractor.extract_sync(page("economy-food-prices.html"))
    assert (food.author, food.site) == ("Sofia Brandt", "Nordic Business Wire")
    assert food.published_at == "2025-11-11"
    ev = extractor.extract_sync(page("business-ev-talks.html"))
    assert (ev.author, ev.site, ev.published_at) == (
        "Jonas Weller",
        "Auto & Industry Daily",
        "2025-09-22",
    )


def test_markup_characters_in_the_title_are_decoded_once(extractor: Extractor) -> None:
    article = extractor.extract_sync(page("tech-email-markup.html"))
    assert article.title == 'Why <b> & "<" still break old email clients'
    assert "wrote a literal <b> into a plain-text preview" in article.text
    assert "&lt;" not in article.text and "&amp;" not in article.title


def test_windows_1251_from_the_meta_tag_alone(extractor: Extractor) -> None:
    article = extractor.extract_sync(page("politics-duma-ru.html", charset=None))
    assert "Северогорской" in article.text and "бюджет" in article.text
    assert article.language == "ru"


def test_euc_kr_from_the_meta_tag_alone(extractor: Extractor) -> None:
    article = extractor.extract_sync(page("culture-museum-ko.html", charset=None))
    assert "미술관" in article.text and "회고전" in article.title
    assert article.language == "ko"


def test_a_wrong_declared_charset_never_yields_a_misdecoded_string() -> None:
    body = (PAGES_DIR / "culture-museum-ko.html").read_bytes()
    assert "미술관" in decode_html(body, "utf-8")  # not UTF-8 at all: the meta tag wins


def test_undeclared_charset_is_detected() -> None:
    text = "Депутаты областной думы приняли бюджет после долгого заседания. " * 20
    body = f"<html><body><p>{text}</p></body></html>".encode("cp1251")
    assert "Депутаты областной думы" in decode_html(body, None)


def test_a_byte_order_mark_wins() -> None:
    body = b"\xef\xbb\xbf<html><body><p>K\xc3\xb8benhavn</p></body></html>"
    assert "København" in decode_html(body, "iso-8859-1")


def test_fallback_extractor_finds_what_trafilatura_drops(extractor: Extractor) -> None:
    article = extractor.extract_sync(page("culture-library-fallback.html"))
    assert article.title == "Stavik's central library reopens after three-year renovation"
    assert "head librarian Mats Ødegaard" in article.text
    assert article.words >= 250


def test_canonical_is_resolved_against_the_final_url(extractor: Extractor) -> None:
    moved = page("economy-housing-amp.html", final_url="https://m.stavikpost.example/amp/x")
    article = extractor.extract_sync(moved)
    assert article.canonical_url == "https://m.stavikpost.example/economy-housing.html"


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", "ftp://example.org/a", "mailto:x@example.org", "http://"]
)
def test_unusable_canonical_links_fall_back_to_the_final_url(
    extractor: Extractor, href: str
) -> None:
    body = (PAGES_DIR / "economy-wages.html").read_bytes()
    body = body.replace(b"<head>", f'<head><link rel="canonical" href="{href}">'.encode())
    article = extractor.extract_sync(Page(BASE, f"{BASE}/w", 200, "text/html", None, body))
    assert article.canonical_url == f"{BASE}/w"


def test_min_words_is_configurable() -> None:
    strict = Extractor(ExtractConfig(min_words=2000))
    with pytest.raises(NotAnArticle, match="at least 2000"):
        strict.extract_sync(page("economy-wages.html"))


def test_empty_and_binary_bodies_are_not_articles(extractor: Extractor) -> None:
    for body in (b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 40):
        with pytest.raises(NotAnArticle):
            extractor.extract_sync(Page(BASE, BASE, 200, "text/html", None, body))


async def test_extract_runs_off_the_event_loop() -> None:
    seen: list[str] = []
    pool = ThreadPoolExecutor(1, thread_name_prefix="probe")
    extractor = Extractor(ExtractConfig(), executor=pool)

    async def ticker() -> None:
        seen.append(threading.current_thread().name)

    result, _ = await asyncio.gather(extractor.extract(page("science-exoplanet.html")), ticker())
    extractor.close()  # an injected pool is the caller's to shut down
    assert pool.submit(threading.current_thread).result().name.startswith("probe")
    pool.shutdown()
    assert result.title.startswith("Telescope finds water vapour")
    assert seen == ["MainThread"]


async def test_own_pool_is_shut_down_on_close() -> None:
    extractor = Extractor(ExtractConfig(workers=1))
    await extractor.extract(page("economy-wages.html"))
    extractor.close()
    with pytest.raises(RuntimeError):
        await extractor.extract(page("economy-wages.html"))


async def test_pages_fetched_from_the_local_site(article_site: Site, config: Config) -> None:  # noqa: F811
    """The real fetcher and the server's charset header (windows-1251) end to end."""
    fetcher = Fetcher(config.fetch)
    extractor = Extractor(config.extract)
    try:
        ru = await extractor.extract(await fetcher.fetch(article_site.page_url("politics-duma-ru")))
        ko = await extractor.extract(
            await fetcher.fetch(article_site.page_url("culture-museum-ko"))
        )
    finally:
        await fetcher.aclose()
        extractor.close()
    assert "Северогорской" in ru.text
    assert "미술관" in ko.text
    assert article_site.hits["/politics-duma-ru.html"] == 1


# --- structure, not a word count: briefs, teasers, link lists, the publisher's section --


def corpus_entry(key: str) -> dict[str, Any]:
    return next(e for e in corpus.entries() if e["key"] == key)


def test_a_brief_of_about_sixty_words_is_an_article(extractor: Extractor) -> None:
    entry = corpus_entry("brief-ferry-60-words")
    article = extractor.extract_sync(corpus.page(entry))
    assert 40 <= article.words < 150
    assert corpus.token_f1(article.text, corpus.gold(entry)) == 1.0
    assert article.title == entry["title"]


def test_a_paywall_teaser_with_json_ld_is_refused_as_a_teaser(extractor: Extractor) -> None:
    entry = corpus_entry("paywall-teaser-jsonld")
    with pytest.raises(NotAnArticle, match="only a subscriber teaser is visible"):
        extractor.extract_sync(corpus.page(entry))


def test_a_section_front_is_refused_as_a_list_of_links(extractor: Extractor) -> None:
    with pytest.raises(NotAnArticle, match="list of links and headlines"):
        extractor.extract_sync(page("section-front.html"))


def test_a_short_page_without_article_markup_is_refused(extractor: Extractor) -> None:
    story = " ".join(["The ferry left the harbour on time and the crossing was calm."] * 6)
    body = f"<html><body><div><p>{story}</p></div></body></html>".encode()
    with pytest.raises(NotAnArticle, match="nothing marks it as an article"):
        extractor.extract_sync(Page(BASE, BASE, 200, "text/html", "utf-8", body))
    marked = body.replace(b"<div>", b"<article>").replace(b"</div>", b"</article>")
    assert extractor.extract_sync(Page(BASE, BASE, 200, "text/html", "utf-8", marked)).words > 40


def test_a_short_page_of_headings_is_not_prose(extractor: Extractor) -> None:
    items = "".join(f"<p>Short line number {n} of the menu</p>" for n in range(12))
    body = f"<html><body><article>{items}</article></body></html>".encode()
    with pytest.raises(NotAnArticle, match="no article text found"):
        extractor.extract_sync(Page(BASE, BASE, 200, "text/html", "utf-8", body))


@pytest.mark.parametrize(
    ("key", "section"),
    [
        ("world-port-strike-economy", "Economy"),  # article:section
        ("economy-bread-prices", "Business & Economy"),  # JSON-LD articleSection
        ("economy-wirtschaft-de", "Wirtschaft"),  # JSON-LD BreadcrumbList
        ("business-empresas-es", "Empresas"),  # a breadcrumb trail in the HTML
        ("economy-jobless-url", "economy"),  # the URL's first path segment
        ("economy-economie-fr", "Économie"),
    ],
)
def test_the_publishers_section_is_read(extractor: Extractor, key: str, section: str) -> None:
    article = extractor.extract_sync(corpus.page(corpus_entry(key)))
    assert article.sections[0] == section


def test_pages_without_a_section_have_none(extractor: Extractor) -> None:
    article = extractor.extract_sync(corpus.page(corpus_entry("culture-band-none")))
    assert article.sections == ()


def test_every_corpus_page_gets_its_expected_outcome(extractor: Extractor) -> None:
    for entry in corpus.entries():
        if entry.get("is_article", True):
            text = extractor.extract_sync(corpus.page(entry)).text
            assert corpus.token_f1(text, corpus.gold(entry)) >= 0.95, entry["key"]
        else:
            with pytest.raises(NotAnArticle, match=entry["refusal"]):
                extractor.extract_sync(corpus.page(entry))


def test_a_brief_of_short_sentences_is_an_article_but_captions_are_not(
    extractor: Extractor,
) -> None:
    """Wire briefs often run one short sentence per paragraph; photo captions do not end
    sentences and stay short, so marked pages of captions are still refused."""
    sentences = [
        "The ferry left the harbour on time on Tuesday.",
        "Officials at the port confirmed the new timetable to reporters.",
        "The council said more sailings would follow after the summer.",
        "Local businesses expect the change to bring visitors in spring.",
        "Tickets go on sale at the harbour office next week.",
    ]
    brief = "".join(f"<p>{s}</p>" for s in sentences)
    body = f"<html><body><article><h1>Ferry</h1>{brief}</article></body></html>".encode()
    article = extractor.extract_sync(Page(BASE, BASE, 200, "text/html", "utf-8", body))
    assert 40 <= article.words < 150
    captions = "".join(
        f"<p>Photo {n}: the harbour at dawn, seen from the pier</p>" for n in range(8)
    )
    body = f"<html><body><article>{captions}</article></body></html>".encode()
    with pytest.raises(NotAnArticle, match="fewer than 40 of them in sentences"):
        extractor.extract_sync(Page(BASE, BASE, 200, "text/html", "utf-8", body))
