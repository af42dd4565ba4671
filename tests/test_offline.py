"""The offline analyser: shape, category accuracy, determinism, language handling."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from functools import cache
from typing import Any

import pytest

from bot.analyzers.offline import (
    GENERATOR,
    Lexicon,
    OfflineAnalyzer,
    SectionMap,
    clean_headline,
    detect_language,
    split_sentences,
    textrank,
)
from bot.config import DEFAULT_CATEGORIES, ExtractConfig
from bot.errors import PrismError
from bot.ingest.extract import Extractor
from bot.models import Article, Draft, Page, Section
from bot.ports import Analyzer
from tests.support import corpus, quality
from tests.support.site import PAGES_DIR

MANIFEST: list[dict[str, Any]] = tomllib.loads(
    (PAGES_DIR / "manifest.toml").read_text(encoding="utf-8")
)["pages"]
ARTICLES = [p for p in MANIFEST if p["is_article"]]


@cache
def article(name: str) -> Article:
    """A fixture page, extracted once per test session."""
    entry = next(p for p in MANIFEST if p["file"] == name)
    url = f"http://127.0.0.1:8000/{name}"
    body = (PAGES_DIR / name).read_bytes()
    return Extractor(ExtractConfig()).extract_sync(
        Page(url, url, 200, "text/html", entry.get("charset"), body)
    )


@pytest.fixture
def analyzer() -> OfflineAnalyzer:
    return OfflineAnalyzer(DEFAULT_CATEGORIES)


def test_it_is_an_analyzer_labelled_offline(analyzer: OfflineAnalyzer) -> None:
    port: Analyzer = analyzer
    assert (port.backend, port.model, port.prompt_version) == (
        "offline",
        "offline-extractive-1",
        "offline-1",
    )


@pytest.mark.parametrize("entry", ARTICLES, ids=lambda e: e["file"])
async def test_draft_shape(analyzer: OfflineAnalyzer, entry: dict[str, Any]) -> None:
    source = article(entry["file"])
    draft = await analyzer.analyze(source)
    assert draft.generator == GENERATOR
    assert 3 <= len(draft.sections) <= 5
    assert draft.dek.strip()
    assert all(sentence in source.text for sentence in split_sentences(draft.dek))
    assert draft.category in DEFAULT_CATEGORIES
    assert draft.language == entry["language"]
    assert 3 <= len(draft.tags) <= 8 and len(set(draft.tags)) == len(draft.tags)
    assert draft.headline == entry["title"]
    assert draft.key_question.strip()
    headings = [s.heading for s in draft.sections]
    assert len(set(headings)) == len(headings) and all(headings)
    for section in draft.sections:
        assert section.paragraphs and all(p.strip() for p in section.paragraphs)
        for paragraph in section.paragraphs:  # the article's own sentences, nothing made up
            assert paragraph.split(". ")[0] in source.text


def test_category_accuracy_on_the_fixture_pages(analyzer: OfflineAnalyzer) -> None:
    results = {e["file"]: analyzer.analyze_sync(article(e["file"])).category for e in ARTICLES}
    right = [f for f, cat in results.items() if cat == _expected(f)]
    assert len(right) / len(results) >= 0.8, results


def _expected(name: str) -> str:
    return str(next(p for p in MANIFEST if p["file"] == name)["category"])


async def test_deterministic(analyzer: OfflineAnalyzer) -> None:
    source = article("economy-rates.html")
    first = await analyzer.analyze(source)
    again = await OfflineAnalyzer(DEFAULT_CATEGORIES).analyze(source)
    assert first == again


def test_the_lead_is_central_not_just_the_opening() -> None:
    """A sentence that repeats what the others say outranks an unrelated opener."""
    docs = [
        ["weather", "sunny", "picnic"],
        ["bank", "rates", "inflation"],
        ["inflation", "rates", "mortgages"],
        ["bank", "inflation", "forecast"],
        ["rates", "bank", "mortgages", "inflation"],
    ]
    scores = textrank(docs)
    assert scores.index(max(scores)) == 4
    assert scores[0] == min(scores)


def test_headings_fit_the_article(analyzer: OfflineAnalyzer) -> None:
    draft = analyzer.analyze_sync(article("economy-rates.html"))
    assert draft.sections[0].heading == "Bank of Norland: what happened"
    assert draft.sections[-1].heading.startswith("What it means")
    assert any("Bank of Norland" in t for t in draft.tags)
    assert any(s.heading.startswith("Reactions") for s in draft.sections)


def test_headings_follow_the_article_language(analyzer: OfflineAnalyzer) -> None:
    german = analyzer.analyze_sync(article("sports-marathon-de.html"))
    assert german.sections[0].heading.endswith("was passiert ist")
    russian = analyzer.analyze_sync(article("politics-duma-ru.html"))
    assert russian.sections[0].heading.endswith("что произошло")


def test_configured_language_sets_the_headings() -> None:
    english = OfflineAnalyzer(DEFAULT_CATEGORIES, language="en")
    draft = english.analyze_sync(article("climate-sequia-es.html"))
    assert draft.sections[0].heading.endswith("what happened")
    assert draft.language == "es"  # the content is still the Spanish article's own text


def test_only_configured_categories_are_chosen() -> None:
    narrow = OfflineAnalyzer(("Sports", "Culture"))
    for entry in ARTICLES:
        assert narrow.analyze_sync(article(entry["file"])).category in ("Sports", "Culture")


def test_a_configured_category_missing_from_the_lexicon_matches_its_name() -> None:
    lexicon = Lexicon.load(("Gardening", "Economy"))
    assert lexicon.classify("Gardening tips", "Gardening in spring: what to plant.") == (
        "Gardening"
    )
    assert lexicon.classify("", "nothing relevant at all") == "Gardening"  # the first


def test_title_words_count_double() -> None:
    lexicon = Lexicon.load(DEFAULT_CATEGORIES)
    assert lexicon.classify("Marathon record falls", "inflation was mentioned once") == "Sports"


def test_no_category_configured_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one category"):
        OfflineAnalyzer(())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'Dr. Petra Vogel led it. She said: "It was solved. Email is a museum." Then J. Smith '
            "left at 3.75 p.m. on Friday.",
            [
                "Dr. Petra Vogel led it.",
                'She said: "It was solved. Email is a museum."',
                "Then J. Smith left at 3.75 p.m. on Friday.",
            ],
        ),
        ("Prices rose 2.5 percent in the U.S. economy. Wages fell.", None),
        ("전시는 10일 개막했다. 관람객이 많았다。다음 주까지 열린다！", None),
        ("Is it over? Not yet! The vote is on Monday.", None),
        ("St. Aldric's Hospital led the trial, e.g. in Stavik. It ended.", None),
    ],
)
def test_sentence_splitting(text: str, expected: list[str] | None) -> None:
    want = {
        "Prices rose 2.5 percent in the U.S. economy. Wages fell.": [
            "Prices rose 2.5 percent in the U.S. economy.",
            "Wages fell.",
        ],
        "전시는 10일 개막했다. 관람객이 많았다。다음 주까지 열린다！": [
            "전시는 10일 개막했다.",
            "관람객이 많았다。",
            "다음 주까지 열린다！",
        ],
        "Is it over? Not yet! The vote is on Monday.": [
            "Is it over?",
            "Not yet!",
            "The vote is on Monday.",
        ],
        "St. Aldric's Hospital led the trial, e.g. in Stavik. It ended.": [
            "St. Aldric's Hospital led the trial, e.g. in Stavik.",
            "It ended.",
        ],
    }
    assert split_sentences(text) == (expected or want[text])


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Rates hold at 3.75% | The Harbour Ledger", None, "Rates hold at 3.75%"),
        (
            "Rates hold at 3.75% as inflation cools - Ledger",
            None,
            "Rates hold at 3.75% as inflation cools",
        ),
        (
            "Stavik Post | Housing starts slump to a decade low",
            "Stavik Post",
            "Housing starts slump to a decade low",
        ),
        (
            'Why <b> & "<" still break old email clients',
            None,
            'Why <b> & "<" still break old email clients',
        ),
        ("Left - right", None, "Left - right"),
    ],
)
def test_clean_headline(title: str, site: str | None, expected: str) -> None:
    assert clean_headline(title, site) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The bank said that the rates will stay where they are for the rest of the year.", "en"),
        ("Die Bank hat gesagt, dass die Zinsen für den Rest des Jahres so bleiben werden.", "de"),
        ("El banco dijo que los tipos se mantendrán en su nivel para el resto del año.", "es"),
        ("La banque a dit que les taux resteront à leur niveau pour le reste de l'année.", "fr"),
        ("Банк заявил, что ставки останутся на прежнем уровне до конца года.", "ru"),
        ("은행은 금리를 올해 말까지 유지하겠다고 밝혔다.", "ko"),
        ("銀行は金利を年末まで据え置くと発表した。", "ja"),
        ("12345 67890", None),
    ],
)
def test_detect_language(text: str, code: str | None) -> None:
    assert detect_language(text) == code


async def test_articles_without_a_language_are_detected(analyzer: OfflineAnalyzer) -> None:
    draft = await analyzer.analyze(replace(article("sports-marathon-de.html"), language=None))
    assert draft.language == "de"


async def test_a_text_without_punctuation_still_gets_three_sections(
    analyzer: OfflineAnalyzer,
) -> None:
    words = " ".join(f"harbour ferry strike talks union wage{i}" for i in range(40))
    source = Article("u", "u", "Ferry strike", words, 240, language="en")
    draft = await analyzer.analyze(source)
    assert len(draft.sections) >= 3 and draft.dek


async def test_long_articles_are_analysed_in_a_thread(analyzer: OfflineAnalyzer) -> None:
    source = article("economy-wages.html")
    long = replace(source, text="\n\n".join([source.text] * 12), words=source.words * 12)
    draft = await analyzer.analyze(long)
    assert 3 <= len(draft.sections) <= 5


async def test_analyze_many_keeps_order_and_failures(analyzer: OfflineAnalyzer) -> None:
    good = article("economy-wages.html")
    results = await analyzer.analyze_many([good, article("science-exoplanet.html")])
    assert [type(r) for r in results] == [Draft, Draft]
    assert isinstance(results[0], Draft) and results[0].category == "Economy"
    assert isinstance(results[1], Draft) and results[1].category == "Science"
    assert not any(isinstance(r, PrismError) for r in results)
    await analyzer.aclose()


# --- categories from the publisher first ------------------------------------------------


def test_the_labelled_category_set_meets_the_target(analyzer: OfflineAnalyzer) -> None:
    labelled = corpus.labelled_articles()
    assert len(labelled) >= 40
    accuracy, wrong = corpus.category_accuracy(analyzer, labelled)
    assert accuracy >= 0.9, wrong


@pytest.mark.parametrize(
    ("label", "named"),
    [
        ("Economy", ("Economy",)),
        ("Wirtschaft", ("Economy",)),
        ("ÉCONOMIE", ("Economy",)),
        ("economie", ("Economy",)),
        ("Economía", ("Economy",)),
        ("Business & Economy", ("Business", "Economy")),
        ("medio ambiente", ("Climate",)),
        ("Deportes", ("Sports",)),
        ("Opinion", ()),
    ],
)
def test_section_words_of_major_languages_name_categories(
    label: str, named: tuple[str, ...]
) -> None:
    assert SectionMap.load(DEFAULT_CATEGORIES).named(label) == named


def test_a_section_names_only_configured_categories() -> None:
    narrow = SectionMap.load(("Sports", "Gardening"))
    assert narrow.named("Economy") == ()
    assert narrow.named("Gardening") == ("Gardening",)  # its own name always works


def test_the_publishers_section_outranks_the_words_of_the_text(analyzer: OfflineAnalyzer) -> None:
    entry = next(e for e in corpus.entries() if e["key"] == "economy-wirtschaft-de")
    article = Extractor(ExtractConfig()).extract_sync(corpus.page(entry))
    assert article.sections == ("Wirtschaft",)
    assert analyzer.analyze_sync(article).category == "Economy"
    blind = replace(article, sections=())
    assert analyzer.analyze_sync(blind).category == "Politics"  # "Regierung" misleads


def test_a_port_strike_filed_under_economy_is_economy(analyzer: OfflineAnalyzer) -> None:
    text = " ".join(
        ["Software for the automated cranes failed and the terminal computers went dark."] * 12
    )
    strike = Article("u", "u", "Port strike", text, 150, sections=("Economy",))
    assert analyzer.analyze_sync(strike).category == "Economy"
    assert analyzer.analyze_sync(replace(strike, sections=())).category == "Technology"


def test_a_section_naming_two_categories_lets_the_text_choose(analyzer: OfflineAnalyzer) -> None:
    text = " ".join(["Inflation rose as consumer prices climbed again this month."] * 12)
    article = Article("u", "u", "Prices", text, 120, sections=("Opinion", "Business & Economy"))
    assert analyzer.analyze_sync(article).category == "Economy"


# --- an editor's extract: no orphan references, headings true of their sections --------


def corpus_article(key: str) -> Article:
    entry = next(e for e in corpus.entries() if e["key"] == key)
    return Extractor(ExtractConfig()).extract_sync(corpus.page(entry))


def test_the_orphan_pronoun_article_reads_coherently(analyzer: OfflineAnalyzer) -> None:
    draft = analyzer.analyze_sync(corpus_article("business-orphan-pronouns"))
    assert quality.orphan_openings(draft) == []
    assert quality.unfit_headings(draft) == []
    paragraphs = [p for s in draft.sections for p in s.paragraphs]
    assert not any(
        p.startswith(('"We said no', "Such long", "They often", "It runs")) for p in paragraphs
    )
    for p in paragraphs:  # a leaning sentence, where kept, follows its antecedent
        if "Such long talks" in p:
            assert p.index("Such long talks") > p.index("said the deal")
    assert not any("Strathearn Brie" in s.heading for s in draft.sections)  # a cheese


def test_the_last_section_says_what_it_means_only_when_the_article_does(
    analyzer: OfflineAnalyzer,
) -> None:
    french = analyzer.analyze_sync(corpus_article("economy-economie-fr"))
    assert french.sections[-1].heading == "Autres détails"  # nothing looks ahead
    rates = analyzer.analyze_sync(article("economy-rates.html"))
    assert rates.sections[-1].heading.startswith("What it means")


def test_a_sixty_word_brief_is_analysed_in_article_order(analyzer: OfflineAnalyzer) -> None:
    source = corpus_article("brief-ferry-60-words")
    draft = analyzer.analyze_sync(source)
    assert draft.dek.startswith("Ferry operator Fjordline")
    told = [draft.dek, *(p for s in draft.sections for p in s.paragraphs)]
    assert [source.text.index(p) for p in told] == sorted(source.text.index(p) for p in told)
    assert len(told) == len(set(told))  # nothing repeated to fill a template


def test_german_and_french_briefs_keep_their_language(analyzer: OfflineAnalyzer) -> None:
    german = analyzer.analyze_sync(corpus_article("economy-wirtschaft-de"))
    assert (german.language, german.category) == ("de", "Economy")
    assert german.sections[0].heading == "Was passiert ist"
    french = analyzer.analyze_sync(corpus_article("economy-economie-fr"))
    assert (french.language, french.category) == ("fr", "Economy")


def test_no_fixture_page_has_an_orphan_opening_or_an_unfit_heading(
    analyzer: OfflineAnalyzer,
) -> None:
    orphans, unfit = [], []
    for name, source, _ in corpus.labelled_articles():
        draft = analyzer.analyze_sync(source)
        orphans += [(name, o) for o in quality.orphan_openings(draft)]
        unfit += [(name, h) for h in quality.unfit_headings(draft)]
    assert (orphans, unfit) == ([], [])


def test_the_quality_checker_catches_what_it_counts() -> None:
    bad = Draft(
        headline="h",
        dek='"We will not cut," he said.',
        category="Economy",
        sections=(
            Section("Bank in figures", ("No number here.",)),
            Section("Reactions: Strathearn Brie", ("Strathearn Brie won a medal.",)),
            Section("What it means for drivers", ("Prices rose.",)),
            Section("The background", ("Such talks are common.",)),
        ),
        tags=(),
        language="en",
        generator=GENERATOR,
    )
    assert len(quality.orphan_openings(bad)) == 2
    assert quality.unfit_headings(bad) == [
        "Bank in figures",
        "Reactions: Strathearn Brie",
        "What it means for drivers",
    ]
