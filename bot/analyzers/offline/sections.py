"""Headed sections of the extract: coherent runs of sentences under true headings."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from bot.analyzers.offline.language import _WORD, Language
from bot.analyzers.offline.sentences import _QUOTES, _Sentence, tokens
from bot.models import Section


def _phrase(
    sentences: Sequence[_Sentence], title: str, data: Language, exclude: str | None = None
) -> str | None:
    """The salient phrase of `sentences` ("food prices", "wage growth"), title words first."""
    in_title = set(tokens(title, data.stopwords))
    counts: Counter[str] = Counter()
    for s in sentences:
        counts.update(t for t in s.tokens if len(t) >= 4)
        words = _WORD.findall(s.text.lower())
        for a, b in itertools.pairwise(words):
            if _content(a, data) and _content(b, data):
                counts[f"{a} {b}"] += 1

    def score(p: str) -> float:
        words = p.split()
        hits = sum(1 for w in words if w in in_title)
        if len(words) > 1 and (counts[p] < 2 or hits == 0):
            return 0.0
        return counts[p] * (1.8 if len(words) > 1 else 1.0) * (1 + hits)

    skip = (exclude or "").lower()
    options = sorted(
        (p for p in counts if p != skip and p not in skip), key=lambda p: (-score(p), p)
    )
    if not options or score(options[0]) == 0:
        return None
    return _display(options[0], " ".join(s.text for s in sentences))


def _content(word: str, data: Language) -> bool:
    return len(word) > 2 and word not in data.stopwords and not word[0].isdigit()


def _display(phrase: str, text: str) -> str:
    """The phrase as the text writes it mid-sentence ("food prices", "Hafenmarathon")."""
    forms = re.findall(rf"\b{re.escape(phrase)}\b", text, flags=re.IGNORECASE)
    lower = [f for f in forms if f[:1].islower()]
    return lower[0] if lower else (forms[0] if forms else phrase)


def _subject(names: Sequence[str], title: str) -> str | None:
    """The named actor the title is about, if the title names one."""
    lowered = f" {title.lower()} "
    found = [n for n in names[:8] if f" {n.lower()} " in lowered or f" {n.lower()}:" in lowered]
    return max(found, key=lambda n: (n.count(" "), -names.index(n))) if found else None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- sections ----------------------------------------------------------------------------

_NUMBER = re.compile(r"\d")


def _has(sentence: str, cues: Iterable[str]) -> bool:
    lowered = f" {sentence.lower()} "
    return any(f" {cue}" in lowered for cue in cues)


def _pick(pool: Sequence[_Sentence], used: set[int], limit: int) -> list[_Sentence]:
    """The best `limit` unused sentences of `pool`, marked used, in reading order."""
    best = sorted((s for s in pool if s.index not in used), key=lambda s: (-s.score, s.index))
    chosen = best[:limit]
    used.update(s.index for s in chosen)
    return sorted(chosen, key=lambda s: s.index)


def _paragraphs(chosen: Sequence[_Sentence]) -> tuple[str, ...]:
    """Neighbouring sentences of one source paragraph stay together."""
    out: list[list[_Sentence]] = []
    for s in chosen:
        if out and out[-1][-1].paragraph == s.paragraph and out[-1][-1].index == s.index - 1:
            out[-1].append(s)
        else:
            out.append([s])
    return tuple(" ".join(s.text for s in group) for group in out)


def _sections(
    sentences: list[_Sentence],
    used: set[int],
    data: Language,
    heads: Language,
    names: Sequence[str],
    about: tuple[str | None, str],
) -> tuple[Section, ...]:
    """Three to five sections; the last one says what it means and for whom."""
    n = len(sentences)
    early = [s for s in sentences if s.index < max(3, n * 0.35)]
    happened = _pick(early, used, 2)
    figures = _pick([s for s in sentences if _NUMBER.search(s.text)], used, 3)
    said = [s for s in sentences if s.text[:1] in _QUOTES or _has(s.text, data.reporting)]
    reactions = _pick(said, used, 3)
    late = [s for s in sentences if s.index >= n * 0.5]
    meaning = _pick([s for s in late if _has(s.text, data.outlook)], used, 3)
    if not meaning:
        meaning = _pick(late, used, 2)
    context = _pick(sentences, used, 2) if len(sentences) - len(used) >= 3 else []
    subject, title = about
    theme = _phrase(sentences, title, data, exclude=subject) or subject
    parts = [
        (_capital(heads.heading("happened", subject)), happened),
        (_capital(heads.heading("figures", theme)), figures),
        (_reactions(heads, reactions, names), reactions),
        (heads.heading("context", None), context),
        (heads.heading("meaning", _audience(sentences, data)), meaning),
    ]
    sections = [Section(h, _paragraphs(chosen)) for h, chosen in parts if chosen]
    return _at_least_three(sections, sentences, used, heads)


def _reactions(heads: Language, chosen: Sequence[_Sentence], names: Sequence[str]) -> str:
    """ "Reactions: Marte Lund, Tomas Erikstad" when the speakers are named."""
    text = " ".join(s.text for s in chosen)
    speakers = [n for n in names if " " in n and n in text][:2]
    label = heads.heading("reactions", None)
    return f"{label}: {', '.join(speakers)}" if speakers else label


def _audience(sentences: Sequence[_Sentence], data: Language) -> str | None:
    """The group the article is most about, from the language's audience words."""
    text = " ".join(s.text for s in sentences)
    counts = {
        a: len(re.findall(rf"\b{re.escape(a)}\b", text, flags=re.IGNORECASE))
        for a in data.audiences
    }
    best = max(sorted(counts), key=lambda a: counts[a])
    return _display(best, text) if counts[best] else None


def _at_least_three(
    sections: list[Section], sentences: list[_Sentence], used: set[int], heads: Language
) -> tuple[Section, ...]:
    """Short articles: fill up to three sections from what is left, or the whole text."""
    spare = [s for s in sentences if s.index not in used] or list(sentences)
    while len(sections) < 3:
        take = spare[: max(1, len(spare) // (4 - len(sections)))] if spare else sentences[:1]
        spare = spare[len(take) :]
        sections.insert(
            -1 if sections else 0, Section(heads.heading("context", None), _paragraphs(take))
        )
    return tuple(sections[:5])
