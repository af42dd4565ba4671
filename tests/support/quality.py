"""Does an offline analysis read like an editor's extract? Two counts, per draft.

- orphan openings: a paragraph (the dek or a section's) whose first sentence leans on
  one the reader has not seen: a pronoun or "this/such" opening, or a quote
  attributed to "he said";
- unfit headings: a heading that is not true of its section: a subject or audience it
  names but the section does not mention, "figures" without a figure in every
  paragraph, "reactions" without a quote or reported speech in every paragraph,
  speakers who do not speak, "what it means" with no sentence about what comes next,
  a heading used twice, or a heading the templates do not know. The first section is
  read right under the dek, so what the dek names counts as named there too; a
  two-word name is named by its second word ("Korb" for "Lena Korb").

Used by tests/test_offline.py and bench/bench_offline_quality.py.
"""

from __future__ import annotations

import re

from bot.analyzers.offline import language_data, split_sentences
from bot.analyzers.offline.language import Language
from bot.models import Draft, Section

_QUOTES = '"“”„«»'


def leans(sentence: str, code: str) -> bool:
    """The sentence cannot open a paragraph: it needs the one before it."""
    data = language_data(code)
    lowered = sentence.lstrip(_QUOTES + "( ").lower()
    for word in data.leaning:
        if lowered == word or re.match(rf"{re.escape(word)}\b", lowered):
            return True
    if sentence[:1] in _QUOTES:
        return any(re.search(rf"\b{re.escape(a)}\b", sentence.lower()) for a in data.attributed)
    return False


def orphan_openings(draft: Draft) -> list[str]:
    """The paragraphs of `draft` that open on an orphan reference."""
    paragraphs = [draft.dek, *(p for s in draft.sections for p in s.paragraphs)]
    firsts = [split_sentences(p)[0] for p in paragraphs if p.strip()]
    return [f for f in firsts if leans(f, draft.language)]


def _has(text: str, cues: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(c)}", lowered) for c in cues)  # cue = a prefix


def _speaks(name: str, text: str, reporting: tuple[str, ...]) -> bool:
    verbs = "|".join(re.escape(r) for r in reporting)
    near = rf"{re.escape(name)}\W+(?:\w+\W+){{0,2}}?(?:{verbs})\b|\b(?:{verbs})\W+{re.escape(name)}"
    return re.search(near, text) is not None


def unfit_headings(draft: Draft, heads_code: str | None = None) -> list[str]:
    """The headings of `draft` that are not true of their sections."""
    data = language_data(draft.language)
    heads = language_data(heads_code or draft.language)
    unfit: list[str] = []
    seen: set[str] = set()
    for number, section in enumerate(draft.sections):
        lead = draft.dek if number == 0 else ""
        if section.heading in seen or not _fits(section, data, heads, lead):
            unfit.append(section.heading)
        seen.add(section.heading)
    return unfit


def _fits(section: Section, data: Language, heads: Language, lead: str) -> bool:
    text = " ".join(section.paragraphs)
    named_text = f"{lead} {text}"
    quoted = all(
        any(q in p for q in _QUOTES) or _has(p, data.reporting) for p in section.paragraphs
    )
    figures = all(re.search(r"\d", p) for p in section.paragraphs)
    sentences = [s for p in section.paragraphs for s in split_sentences(p)]
    for key in ("happened", "figures", "reactions", "meaning", "context", "more"):
        for template in (heads.templates.get(f"{key}_plain"), heads.templates.get(key)):
            if not template:
                continue
            pattern = re.escape(template)
            for slot in ("\\{subject\\}", "\\{audience\\}", "{subject}", "{audience}"):
                pattern = pattern.replace(slot, "(?P<v>.+)")
            match = re.fullmatch(pattern, section.heading, flags=re.IGNORECASE)
            if match:
                value = match.groupdict().get("v")
                return _rule(key, value, named_text, sentences, data, quoted, figures)
    prefix = heads.templates["reactions_plain"] + ": "
    if section.heading.startswith(prefix):
        names = section.heading[len(prefix) :].split(", ")
        return quoted and all(_speaks(n, text, data.reporting) for n in names)
    return False


def _rule(
    key: str,
    value: str | None,
    text: str,
    sentences: list[str],
    data: Language,
    quoted: bool,
    figures: bool,
) -> bool:
    words = (value or "").split()
    surname = words[-1] if len(words) == 2 and len(words[-1]) > 2 else None
    named = (
        value is None
        or value.casefold() in text.casefold()
        or (surname is not None and re.search(rf"\b{re.escape(surname)}\b", text) is not None)
    )
    if key == "figures":
        return figures and named
    if key == "reactions":
        return quoted and named
    if key == "meaning":
        outlook = [s for s in sentences if _has(s, data.outlook)]
        return bool(outlook) and (value is None or any(value.lower() in s.lower() for s in outlook))
    return named
