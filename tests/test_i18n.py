"""Labels around an analysis in its own language, English where none exists."""

from __future__ import annotations

import string

import pytest

from bot import i18n
from bot.i18n import _TRANSLATIONS, base_language, direction, text, translated


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
