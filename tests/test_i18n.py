"""Labels around an analysis in its own language, English where none exists."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from bot import i18n
from bot.i18n import _TRANSLATIONS, base_language, direction, text, translated
from bot.models import Analysis, Generator, Section, Source
from bot.replies import analysis_reply


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", sorted(_TRANSLATIONS))
def test_every_language_has_every_label_with_the_same_placeholders(language: str) -> None:
    table = _TRANSLATIONS[language]
    english = _TRANSLATIONS["en"]
    assert set(table) == set(english), set(english) ^ set(table)
    for key, template in table.items():
        assert _fields(template) == _fields(english[key]), (language, key)
        assert template.strip() == template and template


def test_labels_follow_the_language_and_fall_back_to_english() -> None:
    assert text("de", "min_read", n=3) == "3 Min. Lesezeit"
    assert text("de-AT", "source") == "Quelle"
    assert text("pt_BR", "source") == "Fonte"
    assert text("sw", "source") == "Source"  # no Swahili labels: English, never missing
    assert text(None, "label.offline") == "Automatic extract"
    assert not translated("sw") and translated("ja") and translated("zh-Hans")


def test_language_codes_and_direction() -> None:
    assert base_language("zh-Hans") == "zh" and base_language("") == "en"
    assert direction("ar") == "rtl" and direction("he-IL") == "rtl" and direction("de") == "ltr"
    assert i18n.language_name("de") == "Deutsch" and i18n.language_name("xx") == "xx"


def test_every_language_the_offline_analyser_detects_has_labels() -> None:
    from bot.analyzers.offline.language import _LATIN_LANGUAGES, _SCRIPTS

    detected = {*_LATIN_LANGUAGES, *(code for code, _ in _SCRIPTS), "uk"}
    assert detected <= set(_TRANSLATIONS), detected - set(_TRANSLATIONS)


def _analysis(language: str) -> Analysis:
    return Analysis(
        id=1,
        article_id=1,
        url="https://zeitung.example/a",
        canonical_url="https://zeitung.example/a",
        headline="Rat beschließt Haushalt",
        dek="Der Rat hat den Haushalt beschlossen.",
        category="Politics",
        sections=(Section("Was geschah", ("Der Rat stimmte zu.",)),),
        tags=(),
        language=language,
        key_question="",
        reading_minutes=2,
        source=Source("https://zeitung.example/a", "Zeitung", "Haushalt", None),
        generator=Generator("offline", "extractive", "offline-1"),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_labels_around_an_analysis_follow_its_language() -> None:
    german = analysis_reply(_analysis("de"))
    assert german.meta == "Politics · 2 Min. Lesezeit · Automatischer Auszug"
    assert "Quelle: Zeitung" in german.plain_text() and "Source:" not in german.plain_text()
    assert german.footer == text("de", "disclaimer.offline")
    swahili = analysis_reply(_analysis("sw"))  # no Swahili labels: English
    assert swahili.meta == "Politics · 2 min read · Automatic extract"
    assert "Source: Zeitung" in swahili.plain_text()
