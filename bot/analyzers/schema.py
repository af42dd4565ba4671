"""The one analysis schema: what the model must return, and our own check of it.

The JSON schema goes to the API as a structured-output format, which only supports a
subset of JSON Schema (no length or count limits beyond `minItems` 0/1). So the
limits that matter to readers (3–5 sections, short headline, a lead ending on the
question) live in `validate_analysis`, which runs on every answer all the same: a
constrained decoder guarantees shape, not sense.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.analyzers.offline.language import detect_language
from bot.models import Draft, Generator, Section

MIN_SECTIONS = 3
MAX_SECTIONS = 5
MAX_PARAGRAPHS = 4
MAX_TAGS = 8
LIMITS = {
    "headline": 120,
    "dek": 800,
    "heading": 90,
    "paragraph": 1500,
    "tag": 40,
    "key_question": 240,
}
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?")
# Markdown the renderers would show literally. HTML-looking text is not refused: an
# article about web pages may quote a tag, and renderers escape every string anyway.
_MARKUP = re.compile(r"^\s{0,3}#{1,6}\s|\*\*\S|__\S", re.MULTILINE)


def analysis_schema(categories: Sequence[str]) -> dict[str, Any]:
    """The JSON schema for one analysis, with the category as an enum of `categories`."""
    text = {"type": "string"}
    section = {
        "type": "object",
        "properties": {
            "heading": {**text, "description": "A short heading for this part."},
            "paragraphs": {
                "type": "array",
                "items": text,
                "minItems": 1,
                "description": f"1 to {MAX_PARAGRAPHS} plain-text paragraphs.",
            },
        },
        "required": ["heading", "paragraphs"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "headline": {**text, "description": "Headline, at most 120 characters."},
            "dek": {**text, "description": "One-paragraph lead that ends on the key question."},
            "category": {"type": "string", "enum": list(categories)},
            "sections": {
                "type": "array",
                "items": section,
                "minItems": 1,
                "description": f"{MIN_SECTIONS} to {MAX_SECTIONS} sections; the last on "
                "what it means for the people affected.",
            },
            "tags": {
                "type": "array",
                "items": text,
                "description": f"Up to {MAX_TAGS} topics and named entities from the article.",
            },
            "language": {**text, "description": "Language code of the analysis, e.g. en."},
            "key_question": {**text, "description": "The one question the analysis turns on."},
        },
        "required": [
            "headline",
            "dek",
            "category",
            "sections",
            "tags",
            "language",
            "key_question",
        ],
        "additionalProperties": False,
    }


def validate_analysis(
    data: object, categories: Sequence[str], language: str | None = None
) -> list[str]:
    """Every way `data` misses the schema and the house limits, one readable line each.

    `language`, when given, is the code the analysis must be written in.
    """
    if not isinstance(data, Mapping):
        return [f"the answer must be a JSON object, got {type(data).__name__}"]
    errors: list[str] = []
    required = analysis_schema(categories)["required"]
    errors += [f"missing field '{key}'" for key in required if key not in data]
    errors += [f"unexpected field '{key}'" for key in data if key not in required]
    errors += _check_text(data, "headline", LIMITS["headline"])
    errors += _check_text(data, "dek", LIMITS["dek"])
    errors += _check_text(data, "key_question", LIMITS["key_question"])
    errors += _check_question(data)
    errors += _check_category(data.get("category"), categories)
    errors += _check_sections(data.get("sections"))
    errors += _check_tags(data.get("tags"))
    errors += _check_language(data.get("language"), language)
    return errors


# Scripts whose share of the letters tells a language apart cheaply; Latin-script
# languages are told apart by their stop words instead (the offline analyser's data).
_SCRIPT_OF: dict[str, re.Pattern[str]] = {
    "ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "ko": re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
    "he": re.compile(r"[\u0590-\u05ff]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "uk": re.compile(r"[\u0400-\u04ff]"),
    "el": re.compile(r"[\u0370-\u03ff]"),
}
_KANA = re.compile(r"[\u3040-\u30ff]")


def written_in(text: str, language: str) -> bool:
    """A cheap check that `text` reads as `language`: its script's share of the letters,
    or (Latin scripts) no other language's stop words clearly winning. Lenient by design:
    it catches an answer in the wrong language, not a clumsy one."""
    code = _primary(language)
    letters = sum(1 for ch in text if ch.isalpha())
    if letters < 40:
        return True  # too little text to judge
    pattern = _SCRIPT_OF.get(code)
    if pattern is not None:
        share = len(pattern.findall(text)) / letters
        if code == "ja" and not _KANA.search(text):
            return False  # Chinese, not Japanese
        return share >= 0.3
    if any(len(p.findall(text)) / letters >= 0.3 for p in _SCRIPT_OF.values()):
        return False  # a Latin-script language written in another script
    found = detect_language(text)
    return found is None or found == code or code not in _STOPWORD_LANGUAGES


_STOPWORD_LANGUAGES = frozenset({"en", "de", "es", "fr", "it", "pt", "nl"})


def text_language_errors(data: Mapping[str, Any], language: str) -> list[str]:
    """An answer asked for in `language` whose text reads as another: one error line."""
    sections = data.get("sections") or []
    body = " ".join(
        [str(data.get("headline", "")), str(data.get("dek", ""))]
        + [p for s in sections for p in s.get("paragraphs", [])]
    )
    if written_in(body, language):
        return []
    return [f"the text is not written in {language!r}: write every field in that language"]


def _check_text(data: Mapping[str, Any], key: str, limit: int) -> list[str]:
    if key not in data:
        return []
    return _text_errors(key, data[key], limit)


def _text_errors(where: str, value: object, limit: int) -> list[str]:
    if not isinstance(value, str):
        return [f"'{where}' must be a string"]
    if not value.strip():
        return [f"'{where}' must not be empty"]
    errors = []
    if len(value) > limit:
        errors.append(f"'{where}' is {len(value)} characters long; at most {limit}")
    if _MARKUP.search(value):
        errors.append(f"'{where}' must be plain text, without Markdown markup")
    return errors


def _check_question(data: Mapping[str, Any]) -> list[str]:
    errors = []
    question, dek = data.get("key_question"), data.get("dek")
    if isinstance(question, str) and question.strip():
        if "\n" in question.strip():
            errors.append("'key_question' must be one line")
        if not question.rstrip().endswith(("?", "？", "؟")):
            errors.append("'key_question' must be a question ending with a question mark")
    if isinstance(dek, str) and dek.strip() and not dek.rstrip().endswith(("?", "？", "؟")):
        errors.append("'dek' must end on the key question (finish with a question mark)")
    return errors


def _check_category(value: object, categories: Sequence[str]) -> list[str]:
    if value is None or value in categories:
        return []
    return [f"'category' must be one of: {', '.join(categories)} (got {value!r})"]


def _check_sections(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        return ["'sections' must be a list"]
    errors = []
    if not MIN_SECTIONS <= len(value) <= MAX_SECTIONS:
        errors.append(f"'sections' has {len(value)} items; write {MIN_SECTIONS} to {MAX_SECTIONS}")
    for n, section in enumerate(value, 1):
        errors += _section_errors(n, section)
    return errors


def _section_errors(n: int, section: object) -> list[str]:
    where = f"sections[{n}]"
    if not isinstance(section, Mapping):
        return [f"'{where}' must be an object with 'heading' and 'paragraphs'"]
    extra = set(section) - {"heading", "paragraphs"}
    errors = [f"unexpected field '{where}.{key}'" for key in sorted(extra)]
    errors += _text_errors(f"{where}.heading", section.get("heading"), LIMITS["heading"])
    paragraphs = section.get("paragraphs")
    if not isinstance(paragraphs, list) or not paragraphs:
        return [*errors, f"'{where}.paragraphs' must be a non-empty list of strings"]
    if len(paragraphs) > MAX_PARAGRAPHS:
        errors.append(f"'{where}.paragraphs' has {len(paragraphs)} items; at most {MAX_PARAGRAPHS}")
    for i, paragraph in enumerate(paragraphs, 1):
        errors += _text_errors(f"{where}.paragraphs[{i}]", paragraph, LIMITS["paragraph"])
    return errors


def _check_tags(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        return ["'tags' must be a list of strings"]
    errors = []
    if len(value) > MAX_TAGS:
        errors.append(f"'tags' has {len(value)} items; at most {MAX_TAGS}")
    for i, tag in enumerate(value, 1):
        errors += _text_errors(f"tags[{i}]", tag, LIMITS["tag"])
    return errors


def _check_language(value: object, expected: str | None) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        return [f"'language' must be a language code such as 'en' (got {value!r})"]
    if expected and _primary(value) != _primary(expected):
        return [f"'language' is {value!r}, but the analysis must be written in {expected!r}"]
    return []


def _primary(code: str) -> str:
    return code.split("-", 1)[0].casefold()


def draft_from(data: Mapping[str, Any], generator: Generator, flags: Sequence[str] = ()) -> Draft:
    """A Draft from validated data (call `validate_analysis` first)."""
    sections = tuple(
        Section(s["heading"].strip(), tuple(p.strip() for p in s["paragraphs"] if p.strip()))
        for s in data["sections"]
    )
    tags = tuple(dict.fromkeys(t.strip() for t in data["tags"] if t.strip()))
    return Draft(
        headline=data["headline"].strip(),
        dek=data["dek"].strip(),
        category=data["category"],
        sections=sections,
        tags=tags,
        language=data["language"],
        generator=generator,
        key_question=data["key_question"].strip(),
        flags=tuple(flags),
    )
