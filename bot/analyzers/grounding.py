"""Grounding: every number, date, quotation and named entity must come from the article.

A model can write fluent analysis around a figure the article never gave. These
checks are deliberately literal (with tolerance for how the same fact is spelled:
"$4.7bn" is "4.7 billion", "4,700" is "4700", case is ignored), so what they flag
goes back to the model in the repair attempt, and what still fails afterwards is
dropped (the sentence) or flagged on the Draft, never stored as the article's fact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["number", "date", "quotation", "entity"]


def _split(words: str) -> list[str]:
    return words.split()


_SCALES = {
    "trillion": 1e12,
    "tn": 1e12,
    "billion": 1e9,
    "bn": 1e9,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "thousand": 1e3,
    "k": 1e3,
}
_AMBIGUOUS_SCALES = {"m", "k"}  # "100m" may be metres, "5k" a race: also accept the raw value
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:[,.\u202f\u00a0']\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:\s?(?P<scale>trillion|billion|million|thousand|tn|bn|mn|m|k)\b)?",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    w: float(i)
    for i, w in enumerate(
        _split(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
} | {"thirty": 30.0, "forty": 40.0, "fifty": 50.0, "hundred": 100.0, "dozen": 12.0}
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_DATES = [
    re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}", re.I),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b{_YEAR}", re.I),
    re.compile(rf"\b{_MONTH}\s+(?P<year>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
]
_QUOTES = re.compile(
    r"\u201c([^\u201d]{2,}?)\u201d"  # “…”
    r"|\"([^\"]{2,}?)\""  # "…"
    r"|\u00ab\s?([^\u00bb]{2,}?)\s?\u00bb"  # «…»
    r"|\u201e([^\u201c\u201d]{2,}?)[\u201c\u201d]"  # „…“
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"[^\W\d_][\w'’&-]*")
_CONNECTORS = {"of", "de", "del", "la", "le", "van", "von", "der", "den", "al", "bin", "and", "&"}
_SUFFIXES = {"inc", "corp", "co", "ltd", "llc", "plc", "ag", "sa", "gmbh", "group", "jr", "sr"}
# Capitalised only because they open a sentence, or generic terms that name no one.
_STOP = set(
    _split(
        "a an the and but or nor for so yet if as at by in on of to up with from into onto over "
        "after before while when whether where why how what who whom whose which that this these "
        "those it its it's their there here then now today still even also meanwhile however "
        "moreover instead although though because since unless until once both each every many "
        "much some most few other others another one two three four five any all no not neither "
        "either will would could should can may might must does do did is are was were has have "
        "had be been being such than more less only just perhaps indeed thus hence therefore "
        "i we you he she they his her our your my me us them analysis overview background "
        "context outlook implications"
    )
)
_CALENDAR = set(_MONTHS) | set(_split("monday tuesday wednesday thursday friday saturday sunday"))
# Common acronyms and generic capitalised terms that are not claims about anyone.
GENERIC_TERMS = set(
    _split(
        "ai ceo cfo cto coo ev evs gdp ipo it tv pr hr r&d covid covid-19 ok faq q1 q2 q3 q4 "
        "usd eur gbp ap"
    )
)
_LANGUAGES_WITHOUT_ENTITY_CHECK = {"de", "lb"}  # every noun is capitalised there


@dataclass(frozen=True, slots=True)
class Violation:
    """One claim in the draft that the article does not support."""

    kind: Kind
    claim: str  # as written in the draft
    where: str  # "dek", "sections[2].paragraphs[1]", "tags[3]", ...

    def describe(self) -> str:
        """What is wrong, for the repair prompt and the flags."""
        return f"{self.where}: the {self.kind} {self.claim!r} does not occur in the article"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What remains after dropping ungrounded claims that could not be repaired."""

    data: dict[str, Any]
    flags: tuple[str, ...]  # kept but questionable: stored on Draft.flags
    dropped: tuple[str, ...]  # sentences and tags removed


def check_grounding(
    data: Mapping[str, Any], article_text: str, *, same_language: bool = True
) -> list[Violation]:
    """Claims in a validated analysis that do not occur in `article_text`.

    With `same_language` false (the analysis is a translation) quotations and
    sentence-level names cannot be compared literally, so only numbers and dates are.
    """
    facts = ArticleFacts(article_text)
    facts.draft_names = _mid_sentence_names(data)
    language = str(data.get("language", ""))
    names = same_language and language.split("-")[0] not in _LANGUAGES_WITHOUT_ENTITY_CHECK
    out: list[Violation] = []
    for where, text, titled in _fields(data):
        if where.startswith("tags"):
            if names and _looks_like_name(text) and not facts.entity_ok(text):
                out.append(Violation("entity", text, where))
            continue
        out += facts.violations(where, text, quotes=same_language, names=names and not titled)
    return list(dict.fromkeys(out))


def drop_ungrounded(data: Mapping[str, Any], violations: Sequence[Violation]) -> Outcome:
    """Remove sentences and tags holding violations; flag those that cannot go."""
    new: dict[str, Any] = {**data, "sections": [dict(s) for s in data["sections"]]}
    new["tags"] = list(data["tags"])
    flags: list[str] = []
    dropped: list[str] = []
    for v in violations:
        if v.where.startswith("tags"):
            if v.claim in new["tags"]:
                new["tags"].remove(v.claim)
                dropped.append(f"tag {v.claim!r}")
            continue
        if ".paragraphs[" in v.where and _drop_sentence(new, v, dropped):
            continue
        flags.append(f"ungrounded {v.kind} in {v.where}: {v.claim}")
    return Outcome(new, tuple(dict.fromkeys(flags)), tuple(dropped))


def _drop_sentence(data: dict[str, Any], v: Violation, dropped: list[str]) -> bool:
    """Drop the sentence holding `v.claim` if the section keeps a paragraph after it."""
    match = re.match(r"sections\[(\d+)\]\.paragraphs\[(\d+)\]", v.where)
    if not match:
        return False
    section = data["sections"][int(match[1]) - 1]
    paragraphs = list(section["paragraphs"])
    index = int(match[2]) - 1
    if index >= len(paragraphs):
        return False
    sentences = _SENTENCE_END.split(paragraphs[index])
    kept = [s for s in sentences if v.claim not in s]
    if len(kept) == len(sentences):
        return any(v.claim in s for s in dropped)  # already gone with an earlier sentence
    dropped += [s for s in sentences if v.claim in s]
    paragraphs[index] = " ".join(kept)
    if not any(p.strip() for p in paragraphs):
        return False  # nothing would be left of the section: flag instead
    section["paragraphs"] = paragraphs  # an emptied paragraph is filtered by draft_from
    return True


def _fields(data: Mapping[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(where, text, is_title_case) for every text the reader sees."""
    for key, titled in (("headline", True), ("dek", False), ("key_question", False)):
        if isinstance(data.get(key), str):
            yield key, data[key], titled
    for n, section in enumerate(data.get("sections") or (), 1):
        yield f"sections[{n}].heading", str(section.get("heading", "")), True
        for i, paragraph in enumerate(section.get("paragraphs") or (), 1):
            yield f"sections[{n}].paragraphs[{i}]", str(paragraph), False
    for i, tag in enumerate(data.get("tags") or (), 1):
        yield f"tags[{i}]", str(tag), True


def _looks_like_name(tag: str) -> bool:
    words = _TOKEN.findall(tag)
    return bool(words) and all(w[0].isupper() for w in words if w.casefold() not in _CONNECTORS)


class ArticleFacts:
    """The article's numbers, dates, words and names, normalised once for many checks."""

    def __init__(self, text: str) -> None:
        self.plain = _plain(text)
        self.words = set(self.plain.split())
        self.numbers = [n for value in _numbers(text) for n in value.candidates(True)]
        for word, value in _WORD_NUMBERS.items():
            if word in self.words:
                self.numbers.append((value, True))
        self.dates = list(_dates(text))
        self.names = {t.casefold() for t in _TOKEN.findall(text) if t[0].isupper()}
        self.draft_names: set[str] = set()  # names the draft capitalises mid-sentence

    def violations(self, where: str, text: str, *, quotes: bool, names: bool) -> list[Violation]:
        """Every unsupported claim in one field of the draft."""
        out = [Violation("date", d.text, where) for d in _dates(text) if not self.date_ok(d)]
        out += [
            Violation("number", n.text, where)
            for n in _numbers(_strip_dates(text))
            if not self.number_ok(n)
        ]
        quoted = list(_quotations(text))
        if quotes:
            out += [Violation("quotation", q, where) for q in quoted if not self.quote_ok(q)]
        if names:
            unquoted = _QUOTES.sub(" ", text)
            out += [Violation("entity", e, where) for e in self._entities(unquoted)]
        return out

    def number_ok(self, number: _Number) -> bool:
        """The article states this number (rounding as writers round)."""
        return any(
            _close(value, fact, exact and fact_exact)
            for value, exact in number.candidates(False)
            for fact, fact_exact in self.numbers
        )

    def date_ok(self, date: _Date) -> bool:
        """The article mentions a date this one falls within."""
        return any(date.within(fact) for fact in self.dates)

    def quote_ok(self, quote: str) -> bool:
        """Every part of the quote stands in the article word for word."""
        parts = [p for p in re.split(r"\.\.\.|…|\[[^\]]*\]", quote) if _plain(p).strip()]
        return all(f" {_plain(p).strip()} " in f" {self.plain} " for p in parts)

    def entity_ok(self, name: str) -> bool:
        """The article names this person or organisation."""
        plain = _plain(_possessive(name)).strip()
        if not plain or f" {plain} " in f" {self.plain} ":
            return True
        tokens = [t for t in plain.split() if t not in _CONNECTORS and t not in _SUFFIXES]
        return all(self._token_ok(t) for t in tokens)

    def _token_ok(self, token: str) -> bool:
        if token in self.words or token in GENERIC_TERMS:
            return True
        if len(token) < 5:
            return False
        stem = token[: max(4, len(token) - 3)]  # Chinese/China, European/Europe
        return any(name.startswith(stem) for name in self.names)

    def _entities(self, text: str) -> Iterator[str]:
        for sentence in _SENTENCE_END.split(text):
            for run, at_start in _capitalised_runs(sentence):
                name = self._name_from(run, at_start)
                if name and not self.entity_ok(name):
                    yield name

    def _name_from(self, run: list[str], at_start: bool) -> str | None:
        words = list(run)
        while words and (words[0].casefold() in _STOP or words[0].casefold() in _CONNECTORS):
            words.pop(0)
            at_start = False
        while words and words[-1].casefold() in _CONNECTORS:
            words.pop()
        if not words:
            return None
        folded = _possessive(words[0]).casefold()
        if len(words) == 1 and (folded in _CALENDAR or folded in GENERIC_TERMS):
            return None
        opener = len(words) == 1 and at_start and not words[0].isupper()
        if opener and folded not in self.draft_names:
            return None  # most likely an ordinary word that opens the sentence
        return " ".join(words)


def _mid_sentence_names(data: Mapping[str, Any]) -> set[str]:
    """Words the draft capitalises away from a sentence start: names, not sentence openers."""
    out: set[str] = set()
    for where, text, titled in _fields(data):
        if where.startswith("tags") and _looks_like_name(text):
            out.update(_possessive(w).casefold() for w in _TOKEN.findall(text))
        if titled:
            continue
        for sentence in _SENTENCE_END.split(_QUOTES.sub(" ", text)):
            for run, at_start in _capitalised_runs(sentence):
                words = run[1:] if at_start else run
                out.update(_possessive(w).casefold() for w in words)
    return out


def _capitalised_runs(sentence: str) -> Iterator[tuple[list[str], bool]]:
    """Runs of capitalised words (joined by spaces or connectors) and whether one opens."""
    run: list[str] = []
    start = False
    last_end = -1
    first = True
    for match in _TOKEN.finditer(sentence):
        word = match.group()
        gap = sentence[last_end : match.start()] if last_end >= 0 else ""
        joined = last_end >= 0 and gap.strip() == ""
        if word[0].isupper() or (run and joined and word.casefold() in _CONNECTORS):
            if run and not joined:
                yield run, start
                run = []
            if not run:
                start = first
            run.append(word)
        elif run:
            yield run, start
            run = []
        last_end = match.end()
        first = False
    if run:
        yield run, start


def _possessive(word: str) -> str:
    return re.sub(r"['’]s$", "", word)


def _plain(text: str) -> str:
    """Casefolded words separated by single spaces: punctuation and quotes ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"['’](?=\w)", "", text)  # Ford's == Fords == ford s
    return " ".join(re.findall(r"[\w&]+", text))


def _quotations(text: str) -> Iterator[str]:
    for match in _QUOTES.finditer(text):
        quote = next(g for g in match.groups() if g is not None).strip()
        if len(quote.split()) >= 1 and _plain(quote):
            yield quote


@dataclass(frozen=True, slots=True)
class _Number:
    text: str
    raw: tuple[float, ...]  # one or two readings of the digits ("4.700" is 4.7 or 4700)
    scale: str | None
    exact: bool  # an integer without a scale: must match exactly (years, counts)

    def candidates(self, as_fact: bool) -> list[tuple[float, bool]]:
        factor = _SCALES.get((self.scale or "").casefold(), 1.0)
        out = [(r * factor, self.exact) for r in self.raw]
        if as_fact or (self.scale or "").casefold() in _AMBIGUOUS_SCALES:
            out += [(r, self.exact) for r in self.raw if factor != 1.0]
        return out


def _numbers(text: str) -> Iterator[_Number]:
    for match in _NUMBER.finditer(text):
        digits, scale = match["num"], match["scale"]
        raw = _readings(digits)
        exact = scale is None and all(ch.isdigit() for ch in digits)
        yield _Number(match.group().strip(), raw, scale, exact)


def _readings(digits: str) -> tuple[float, ...]:
    """Every sensible value of a digit string: separators for thousands or decimals."""
    seps = [ch for ch in digits if not ch.isdigit()]
    if not seps:
        return (float(digits),)
    groups = re.split(r"[,.\u202f\u00a0']", digits)
    thousands = all(len(g) == 3 for g in groups[1:])
    values = set()
    if thousands:
        values.add(float("".join(groups)))
    if len(seps) == 1 and seps[0] in ",.":
        values.add(float(digits.replace(",", ".")))
    elif not thousands:  # "1,234.5" / "1.234,5": the last separator is the decimal point
        head, tail = digits[: -len(groups[-1]) - 1], groups[-1]
        values.add(float(re.sub(r"\D", "", head) + "." + tail))
    return tuple(sorted(values))


def _close(a: float, b: float, exact: bool) -> bool:
    if exact:
        return a == b
    return abs(a - b) <= 0.01 * max(abs(a), abs(b))


@dataclass(frozen=True, slots=True)
class _Date:
    text: str
    year: int | None
    month: int
    day: int | None

    def within(self, fact: _Date) -> bool:
        """True if `fact` agrees on every part this date names."""
        return (
            self.month == fact.month
            and (self.year is None or self.year == fact.year)
            and (self.day is None or self.day == fact.day)
        )


def _dates(text: str) -> Iterator[_Date]:
    seen: list[tuple[int, int]] = []
    for pattern in _DATES:
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e in seen):
                continue
            seen.append(m.span())
            parts = m.groupdict()
            month = parts["month"]
            number = int(month) if month.isdigit() else _MONTHS[month.casefold().rstrip(".")]
            day = int(parts["day"]) if parts.get("day") else None
            year = int(parts["year"]) if parts.get("year") else None
            if 1 <= number <= 12 and (day is None or 1 <= day <= 31):
                yield _Date(m.group(), year, number, day)


def _strip_dates(text: str) -> str:
    """Dates are checked as dates; their digits must not be judged again as numbers."""
    for pattern in _DATES:
        text = pattern.sub(" ", text)
    return text
