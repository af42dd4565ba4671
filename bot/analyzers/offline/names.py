"""Headlines without site names; named actors (entities) of an article."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from bot.analyzers.offline.language import _WORD
from bot.analyzers.offline.sentences import _ABBREVIATIONS, _HANGUL_WORD, _hangul_stem, _words

# --- headline, entities and tags -----------------------------------------------------------

_SEPARATORS = re.compile(r"\s+(?:\||–|—|-|::|·|»)\s+")


def clean_headline(title: str, site: str | None = None) -> str:
    """The title without a " | Site" style suffix (or prefix)."""
    title = " ".join(title.split())
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_key = (site or "").casefold()
    while len(parts) > 1:
        last, first = parts[-1], parts[0]
        if last.casefold() == site_key or (len(last.split()) <= 4 and len(parts[-2].split()) >= 4):
            parts = parts[:-1]
        elif first.casefold() == site_key:
            parts = parts[1:]
        else:
            break
    for sep in (" | ", " – ", " — ", " - "):  # join back with the first separator used
        if sep in title:
            return sep.join(parts)
    return " ".join(parts)


_CAPITALISED = re.compile(
    r"(?:[A-ZÀ-ÖØ-ÞА-ЯЁ][\w’'-]*)(?:\s+(?:(?:of|de|del|la|von|van|der|den|du|des|di|da)\s+)?"
    r"[A-ZÀ-ÖØ-ÞА-ЯЁ][\w’'-]*)*"
)
_CONNECTORS = _words("""of de del la von van der den du des di da""")
_TITLES = _words(
    """governor professor president minister prime deputy chief leader director chairman
    chairwoman senator mayor judge general sir dame king queen coach captain secretary
    spokesperson economist analyst bundestrainer trainer trainerin präsident
    präsidentin ministerin kanzler kanzlerin bürgermeister presidente ministro ministra
    alcalde président ministre maire губернатор президент министр мэр"""
)
_CALENDAR = _words(
    """january february march april may june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday januar februar
    märz juni juli oktober dezember montag dienstag mittwoch donnerstag freitag samstag
    sonntag"""
)
_MID_CAPITAL = re.compile(r"(?<=[\w,;:] )[A-ZÀ-ÖØ-ÞА-ЯЁ][\w’'-]*")


def entities(sentences: Sequence[str], stopwords: frozenset[str]) -> Counter[str]:
    """Capitalised names (multi-word ones preferred) and how often each occurs."""
    text = " ".join(sentences)
    lower_words = {w for w in _WORD.findall(text) if w[:1].islower()}
    mid_caps = set(_MID_CAPITAL.findall(text))
    found: Counter[str] = Counter()
    for sentence in sentences:
        for match in _CAPITALISED.finditer(sentence):
            words = [w.removesuffix("’s").removesuffix("'s") for w in match.group().split()]
            at_start = not sentence[: match.start()].strip(' "“„«(')
            words = _trim_name(words, lower_words, mid_caps if at_start else None, stopwords)
            if words:
                found[" ".join(words)] += 1
    merged = _merge_parts(found)
    return Counter(
        {n: c for n, c in merged.items() if (" " in n or c >= 2) and n.lower() not in _CALENDAR}
    )


def _trim_name(
    words: list[str], lower_words: set[str], mid_caps: set[str] | None, stopwords: frozenset[str]
) -> list[str]:
    """Drop leading titles ("governor"), sentence-initial words and stray connectors."""
    while words:
        first = words[0]
        if (
            first.lower() in stopwords
            or first.lower() in _CONNECTORS
            or first.lower() in _ABBREVIATIONS
            or (first.lower() in _TITLES and len(words) > 1)
            or (mid_caps is not None and first not in mid_caps)
        ):
            words = words[1:]
            mid_caps = None  # only the very first word is sentence-initial
            continue
        break
    while words and words[-1].lower() in _CONNECTORS:
        words = words[:-1]
    if len(words) == 1 and (words[0].lower() in lower_words or len(words[0]) < 3):
        return []  # a common word that happens to be capitalised here
    return words


def _merge_parts(found: Counter[str]) -> Counter[str]:
    """Credit "Halvorsen" to "Ingrid Halvorsen", "Ex-champion Lena Korb" to "Lena Korb"."""
    merged = Counter(found)
    for name in sorted(found, key=len):
        if name not in merged:
            continue
        parts = name.split()
        owners = [n for n in merged if n != name and _contains(n.split(), parts)]
        if len(parts) == 1 and len(owners) == 1:
            merged[owners[0]] += merged.pop(name)
        elif len(parts) > 1:
            for owner in owners:
                if owner.endswith(" " + name):  # a title word in front of the name
                    merged[name] += merged.pop(owner)
    return merged


def _contains(words: list[str], part: list[str]) -> bool:
    size = len(part)
    return any(words[i : i + size] == part for i in range(len(words) - size + 1))


def _hangul_terms(text: str, stopwords: frozenset[str]) -> Counter[str]:
    """Frequent Korean nouns: particle-stripped words, verbs (ending in 다) left out."""
    terms = Counter(_hangul_stem(w) for w in _HANGUL_WORD.findall(text))
    return Counter(
        {t: c for t, c in terms.items() if c >= 2 and t not in stopwords and not t.endswith("다")}
    )
