"""Grounding, the analysis schema and the price table: pure functions, no server."""

from __future__ import annotations

from typing import Any

import pytest

from bot.analyzers.grounding import check_grounding, drop_ungrounded
from bot.analyzers.pricing import estimate_cost, min_cacheable_tokens, usage_cost
from bot.analyzers.schema import analysis_schema, draft_from, validate_analysis
from bot.config import DEFAULT_CATEGORIES, AnthropicConfig
from bot.models import Generator, Usage
from tests.test_claude import ARTICLE_TEXT, good_analysis

ARTICLE = (
    "Ford lost $4.7bn on its electric vehicle unit in 2023, the company said on "
    "February 6, 2024. Xiaomi has invested 10,000 million yuan and sold 1,234,567 phones. "
    "Chief executive Jim Farley said: \u201cWe are not going to chase volume.\u201d "
    "Shares rose 3.2% and two analysts at Morgan Stanley were cautious."
)


def claims(text: str, **kw: Any) -> list[tuple[str, str]]:
    """(kind, claim) for each violation when `text` is one paragraph of a draft."""
    data = good_analysis()
    data["sections"][0]["paragraphs"] = [text]
    found = check_grounding(data, ARTICLE + "\n" + ARTICLE_TEXT, **kw)
    return [(v.kind, v.claim) for v in found if v.where == "sections[1].paragraphs[1]"]


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Ford lost 4.7 billion dollars in 2023.",
        "Ford lost $4,700 million in 2023.",
        "Ford lost 4.7bn.",
        "Xiaomi invested 10 billion yuan.",
        "It sold 1234567 phones.",
        "Shares rose 3.2 percent.",
        "Two analysts were cautious, 2 in all.",
    ],
)
def test_the_same_number_spelled_differently_is_grounded(text: str) -> None:
    assert claims(text) == []


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        ("Ford lost 5.2 billion dollars.", "5.2 billion"),
        ("Ford lost money in 2022.", "2022"),
        ("Shares rose 4.1%.", "4.1"),
        ("It sold 1,300,000 phones.", "1,300,000"),
    ],
)
def test_a_number_the_article_never_gave_is_a_violation(text: str, claim: str) -> None:
    assert claims(text) == [("number", claim)]


def test_years_must_match_exactly() -> None:
    assert claims("The unit lost money in 2024 and 2023.") == []
    assert claims("The unit lost money in 2031.") == [("number", "2031")]


# --- dates, quotations, names -----------------------------------------------------------------


def test_dates_match_in_any_spelling() -> None:
    assert claims("On 6 February 2024 Ford spoke.") == []
    assert claims("Ford spoke in February 2024.") == []
    assert claims("Ford spoke on February 7, 2024.") == [("date", "February 7, 2024")]


def test_quotations_must_be_the_article_words() -> None:
    assert claims("Jim Farley said \u201cwe are not going to chase volume\u201d.") == []
    assert claims('Jim Farley said "we are not going to chase ... volume".') == []
    assert claims("Jim Farley said \u201cwe will win\u201d.") == [("quotation", "we will win")]


def test_a_translated_analysis_skips_the_literal_quotation_check() -> None:
    assert (
        claims("Jim Farley dijo \u201cno vamos a perseguir volumen\u201d.", same_language=False)
        == []
    )


def test_names_must_occur_in_the_article() -> None:
    assert claims("Jim Farley spoke for Ford.") == []
    assert claims("Analysts at Morgan Stanley agree with Ford's view.") == []
    assert claims("Ford resembles General Motors here.") == [("entity", "General Motors")]


def test_sentence_openers_are_not_names() -> None:
    assert claims("Meanwhile the unit lost money. However, shares rose.") == []


def test_demonyms_match_their_country() -> None:
    data = good_analysis()
    data["sections"][0]["paragraphs"] = ["Buyers in Chinese cities and European ports wait."]
    article = ARTICLE_TEXT + " Demand from China and Europe is rising."
    assert check_grounding(data, article) == []
    assert [v.claim for v in check_grounding(data, ARTICLE_TEXT)] == ["Chinese", "European"]


def test_capitalised_tags_are_checked_as_names() -> None:
    data = good_analysis(tags=["Northport", "Tesla", "electric buses"])
    found = check_grounding(data, ARTICLE_TEXT)
    assert [(v.where, v.claim) for v in found] == [("tags[2]", "Tesla")]


def test_drop_removes_the_sentence_and_keeps_the_rest() -> None:
    data = good_analysis()
    data["sections"][1]["paragraphs"] = [
        "The authority pays 70 percent. Rivals paid 90 percent elsewhere."
    ]
    outcome = drop_ungrounded(data, check_grounding(data, ARTICLE_TEXT))
    assert outcome.data["sections"][1]["paragraphs"] == ["The authority pays 70 percent."]
    assert outcome.dropped == ("Rivals paid 90 percent elsewhere.",)
    assert outcome.flags == ()


def test_drop_flags_what_cannot_be_removed() -> None:
    data = good_analysis(dek="Northport spends 999 euros. Will it work?")
    outcome = drop_ungrounded(data, check_grounding(data, ARTICLE_TEXT))
    assert outcome.flags == ("ungrounded number in dek: 999",)
    assert outcome.data["dek"] == data["dek"]


def test_drop_flags_a_section_that_would_be_emptied() -> None:
    data = good_analysis()
    data["sections"][2]["paragraphs"] = ["The plan copies Oslo."]
    outcome = drop_ungrounded(data, check_grounding(data, ARTICLE_TEXT))
    assert outcome.flags == ("ungrounded entity in sections[3].paragraphs[1]: Oslo",)


def test_the_good_analysis_is_fully_grounded() -> None:
    assert check_grounding(good_analysis(), ARTICLE_TEXT) == []


# --- schema ---------------------------------------------------------------------------------


def test_schema_enumerates_the_configured_categories() -> None:
    schema = analysis_schema(("Economy", "Sports"))
    assert schema["properties"]["category"]["enum"] == ["Economy", "Sports"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])


def test_valid_analysis_has_no_errors() -> None:
    assert validate_analysis(good_analysis(), DEFAULT_CATEGORIES, "en") == []


def test_quoted_html_is_text_not_markup() -> None:
    data = good_analysis(dek="The mail used a <table> layout. Will clients cope?")
    assert validate_analysis(data, DEFAULT_CATEGORIES, "en") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "Gossip"}, "'category' must be one of: World, Politics"),
        ({"headline": "x" * 121}, "'headline' is 121 characters long; at most 120"),
        ({"key_question": "No question"}, "'key_question' must be a question ending"),
        ({"dek": "**Bold** lead?"}, "'dek' must be plain text, without Markdown markup"),
        ({"dek": "## Lead\nWhy?"}, "'dek' must be plain text, without Markdown markup"),
        ({"sections": []}, "'sections' has 0 items; write 3 to 5"),
        ({"language": "English"}, "'language' must be a language code such as 'en'"),
        ({"language": "fr"}, "'language' is 'fr', but the analysis must be written in 'en'"),
        ({"tags": "Ford"}, "'tags' must be a list of strings"),
        ({"reading_minutes": 3}, "unexpected field 'reading_minutes'"),
    ],
)
def test_invalid_analysis_names_the_problem(change: dict[str, Any], message: str) -> None:
    errors = validate_analysis(good_analysis(**change), DEFAULT_CATEGORIES, "en")
    assert any(e.startswith(message) for e in errors), errors


def test_missing_fields_and_bad_sections_are_listed() -> None:
    data = good_analysis()
    del data["dek"]
    data["sections"][0] = {"heading": "", "paragraphs": [], "extra": 1}
    errors = validate_analysis(data, DEFAULT_CATEGORIES)
    assert "missing field 'dek'" in errors
    assert "unexpected field 'sections[1].extra'" in errors
    assert "'sections[1].heading' must not be empty" in errors
    assert "'sections[1].paragraphs' must be a non-empty list of strings" in errors


def test_not_an_object_is_one_error() -> None:
    assert validate_analysis([1, 2], DEFAULT_CATEGORIES) == [
        "the answer must be a JSON object, got list"
    ]


def test_draft_from_trims_and_drops_empty_paragraphs() -> None:
    data = good_analysis(tags=[" Northport ", "Northport", ""])
    data["sections"][0]["paragraphs"] = ["  kept  ", ""]
    draft = draft_from(data, Generator("claude", "m", "claude-v1"), ["flag"])
    assert draft.sections[0].paragraphs == ("kept",)
    assert draft.tags == ("Northport",)
    assert draft.flags == ("flag",)


# --- pricing ---------------------------------------------------------------------------------


def test_cost_uses_the_price_table() -> None:
    prices = AnthropicConfig()  # 3 / 15 / 3.75 / 0.30 USD per million
    assert estimate_cost(1_000_000, 0, 0, 0, prices) == pytest.approx(3.0)
    assert estimate_cost(0, 1_000_000, 0, 0, prices) == pytest.approx(15.0)
    assert estimate_cost(0, 0, 1_000_000, 1_000_000, prices) == pytest.approx(4.05)
    assert estimate_cost(1_000_000, 0, 0, 0, prices, batch=True) == pytest.approx(1.5)


def test_reading_from_the_cache_costs_less_than_sending_again() -> None:
    prices = AnthropicConfig()
    uncached = usage_cost(Usage(input_tokens=3000, output_tokens=800), prices)
    cached = usage_cost(Usage(input_tokens=800, output_tokens=800, cache_read_tokens=2200), prices)
    assert cached < uncached


def test_minimum_cacheable_length_per_model() -> None:
    assert min_cacheable_tokens("claude-sonnet-4-5-20250929") == 1024
    assert min_cacheable_tokens("claude-sonnet-4-6") == 2048
    assert min_cacheable_tokens("claude-haiku-4-5") == 4096
