"""Packaged language data (stop words, cue words, headings) and language detection."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

# --- packaged data -----------------------------------------------------------------------


@cache
def _data(name: str) -> dict[str, Any]:
    """A TOML file of bot/analyzers/data (read-only package data, read once)."""
    text = resources.files("bot.analyzers").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Language:
    """Stop words, cue words and heading templates of one language."""

    code: str
    stopwords: frozenset[str]
    reporting: tuple[str, ...]
    outlook: tuple[str, ...]
    audiences: tuple[str, ...]
    templates: dict[str, str] = field(default_factory=dict)
    leaning: tuple[str, ...] = ()  # openers that lean on the sentence before
    attributed: tuple[str, ...] = ()  # a quote's attribution to a pronoun ("he said")

    def heading(self, key: str, value: str | None) -> str:
        """The template `key` filled with `value`, or its plain form when value is None."""
        if value:
            return self.templates[key].replace("{subject}", value).replace("{audience}", value)
        return self.templates.get(f"{key}_plain", self.templates[key])


@cache
def language_data(code: str) -> Language:
    """Data for `code`; English cue words and headings fill what a language lacks."""
    table = _data("languages.toml")
    english = table["en"]
    own = table.get(code, {})
    merged = {k: own.get(k, english[k]) for k in english}
    stop = frozenset(own.get("stopwords", ())) | frozenset(english["stopwords"])
    templates = {k: str(v) for k, v in merged.items() if isinstance(v, str)}
    if "happened" not in own:  # headings only in languages that have them all
        templates = {k: str(v) for k, v in english.items() if isinstance(v, str)}
    return Language(
        code=code,
        stopwords=stop,
        reporting=tuple(merged["reporting"]),
        outlook=tuple(merged["outlook"]),
        audiences=tuple(merged["audiences"]),
        templates=templates,
        leaning=tuple(merged["leaning"]),
        attributed=tuple(merged["attributed"]),
    )


# --- language detection -------------------------------------------------------------------

_SCRIPTS = (
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
)
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_LATIN_LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "nl")


def detect_language(text: str) -> str | None:
    """A language code from the script, else from stop words; None when unsure."""
    sample = text[:3000]
    letters = sum(1 for ch in sample if ch.isalpha()) or 1
    for code, pattern in _SCRIPTS:
        if len(pattern.findall(sample)) / letters > 0.3:
            if code == "ja" or code != "zh":
                if code == "ru" and len(_UKRAINIAN.findall(sample)) > 5:
                    return "uk"
                return code
            return "zh"
    words = Counter(w.lower() for w in _WORD.findall(sample))
    table = _data("languages.toml")
    scores = {
        code: sum(words[w] for w in set(table[code]["stopwords"])) for code in _LATIN_LANGUAGES
    }
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] >= 5 else None
