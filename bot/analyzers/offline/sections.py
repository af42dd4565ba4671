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
    """Neighbouring sentences of one source paragraph stay together, and a sentence that
    leans on the one before never starts a paragraph of its own."""
    out: list[list[_Sentence]] = []
    for s in chosen:
        last = out[-1][-1] if out else None
        if last and last.index == s.index - 1 and (last.paragraph == s.paragraph or s.leans):
            out[-1].append(s)
        else:
            out.append([s])
    return tuple(" ".join(s.text for s in group) for group in out)


def _anchored(
    chosen: list[_Sentence], sentences: Sequence[_Sentence], used: set[int]
) -> list[_Sentence]:
    """`chosen` with each leaning sentence kept beside its antecedent (the sentence
    before it, taken along if no other section has it), or left out when it cannot be."""
    keep = {s.index for s in chosen}
    for s in sorted(chosen, key=lambda s: s.index):
        chain = [s]
        while chain[-1].leans and chain[-1].index > 0 and len(chain) < 4:
            before = sentences[chain[-1].index - 1]
            if before.index in keep:
                break
            if before.index in used:  # another section (or the dek) has it
                chain = []
                break
            chain.append(before)
        if chain and chain[-1].leans and chain[-1].index - 1 not in keep:
            chain = []
        if chain:
            keep.update(c.index for c in chain)
            used.update(c.index for c in chain)
        else:  # the antecedent is out of reach: the sentence goes
            keep.discard(s.index)
            used.discard(s.index)
    return [sentences[i] for i in sorted(keep)]


def _speaks(name: str, text: str, reporting: Sequence[str]) -> bool:
    """`name` is a speaker: it stands right next to a reporting verb ("Lund said")."""
    verbs = "|".join(re.escape(r) for r in reporting)
    near = rf"{re.escape(name)}\W+(?:\w+\W+){{0,2}}?(?:{verbs})\b|\b(?:{verbs})\W+{re.escape(name)}"
    return re.search(near, text) is not None


def _named(value: str | None, chosen: Sequence[_Sentence]) -> str | None:
    """`value` if the section's own text mentions it (a person's surname will do), else
    None: the heading is then the plain one."""
    text = " ".join(s.text for s in chosen).casefold()
    if not value:
        return None
    words = value.split()
    surname = words[-1].casefold() if len(words) == 2 and len(words[-1]) > 2 else None
    found = value.casefold() in text or (surname and re.search(rf"\b{re.escape(surname)}\b", text))
    return value if found else None


def _sections(
    sentences: list[_Sentence],
    used: set[int],
    data: Language,
    heads: Language,
    names: Sequence[str],
    about: tuple[str | None, str],
) -> tuple[Section, ...]:
    """Three to five sections, each heading true of its sentences; the last says what it
    means (and for whom) only when the article itself looks ahead."""
    n = len(sentences)
    dek = [sentences[i] for i in sorted(used)]  # the first section reads right under it
    if n < _BRIEF_SENTENCES:
        return _brief(sentences, used, data, heads)
    early = [s for s in sentences if s.index < max(3, n * 0.35)]
    subject, title = about
    about_subject = [s for s in early if subject and subject.casefold() in s.text.casefold()]
    lead = _pick(about_subject, used, 1)  # the actor the title names, where it acts
    happened = _anchored(sorted(lead + _pick(early, used, 2 - len(lead)), key=_at), sentences, used)
    digits = [s for s in sentences if _NUMBER.search(s.text)]
    figures = _anchored(_pick(digits, used, 3), sentences, used)
    said = [s for s in sentences if s.text[:1] in _QUOTES or _has(s.text, data.reporting)]
    reactions = _anchored(_pick(said, used, 3), sentences, used)
    late = [s for s in sentences if s.index >= n * 0.5]
    meaning = _anchored(
        _pick([s for s in late if _has(s.text, data.outlook)], used, 3), sentences, used
    )
    more = [] if meaning else _anchored(_pick(late, used, 2), sentences, used)
    spare = len(sentences) - len(used) >= 3
    context = _anchored(_pick(sentences, used, 2), sentences, used) if spare else []
    theme = _phrase(sentences, title, data, exclude=subject) or subject
    parts = [
        (_capital(heads.heading("happened", _named(subject, dek + happened))), happened),
        (_capital(heads.heading("figures", _named(theme, figures))), figures),
        (_reactions(heads, reactions, names, data), reactions),
        (heads.heading("context", None), context),
        (_capital(heads.heading("meaning", _audience(meaning, data))), meaning),
        (heads.templates.get("more", heads.heading("context", None)), more),
    ]
    sections = [Section(h, _paragraphs(chosen)) for h, chosen in parts if chosen]
    return _at_least_three(sections, sentences, used, heads)


def _at(sentence: _Sentence) -> int:
    return sentence.index


_BRIEF_SENTENCES = 9  # fewer: a brief, told in order rather than sorted by theme


def _brief(
    sentences: list[_Sentence], used: set[int], data: Language, heads: Language
) -> tuple[Section, ...]:
    """A brief in up to three runs of consecutive sentences, in article order: what
    happened, the background, then what it means only if the last run looks ahead. A
    brief of three sentences gets the dek and two sections: never a repeated sentence."""
    rest = [s for s in sentences if s.index not in used]
    while rest and rest[0].leans and rest[0].index - 1 in used:  # its antecedent is the dek
        rest = rest[1:]
    if not rest:
        rest = list(sentences)  # one sentence in all: the dek is the whole story
    runs: list[list[_Sentence]] = []
    for part in range(3, 0, -1):
        remaining = [s for s in rest if all(s not in r for r in runs)]
        size = max(1, len(remaining) // part)
        while size < len(remaining) and remaining[size].leans:
            size += 1
        if remaining[:size]:
            runs.append(remaining[:size])
    last = runs[-1]
    looks_ahead = any(_has(s.text, data.outlook) for s in last)
    ending = (
        _capital(heads.heading("meaning", _audience(last, data)))
        if looks_ahead
        else heads.templates.get("more", heads.heading("context", None))
    )
    first = heads.heading("happened", None)
    headings = [first, heads.heading("context", None), ending][-len(runs) :]
    if len(runs) > 1:
        headings[0] = first
    return tuple(Section(h, _paragraphs(run)) for h, run in zip(headings, runs, strict=True))


def _reactions(
    heads: Language, chosen: Sequence[_Sentence], names: Sequence[str], data: Language
) -> str:
    """ "Reactions: Marte Lund, Tomas Erikstad" when the speakers are named and speak."""
    text = " ".join(s.text for s in chosen)
    speakers = [n for n in names if " " in n and _speaks(n, text, data.reporting)][:2]
    label = heads.heading("reactions", None)
    return f"{label}: {', '.join(speakers)}" if speakers else label


def _audience(chosen: Sequence[_Sentence], data: Language) -> str | None:
    """The group the section's look-ahead sentences name most, from the audience words."""
    text = " ".join(s.text for s in chosen if _has(s.text, data.outlook))
    counts = {
        a: len(re.findall(rf"\b{re.escape(a)}\b", text, flags=re.IGNORECASE))
        for a in data.audiences
    }
    if not counts:
        return None
    best = max(sorted(counts), key=lambda a: counts[a])
    return _display(best, text) if counts[best] else None


def _at_least_three(
    sections: list[Section], sentences: list[_Sentence], used: set[int], heads: Language
) -> tuple[Section, ...]:
    """Short articles: fill up to three sections from what is left, under neutral
    headings not used yet, cutting only where a sentence does not lean on the last."""
    spare = [s for s in sentences if s.index not in used]
    neutral = [
        heads.heading("context", None),
        heads.templates.get("more", ""),
        heads.heading("happened", None),
    ]
    free = [h for h in neutral if h and h not in {s.heading for s in sections}]
    while len(sections) < 3 and spare and free:
        size = max(1, len(spare) // (4 - len(sections)))
        while size < len(spare) and spare[size].leans:
            size += 1
        take, spare = spare[:size], spare[size:]
        used.update(s.index for s in take)
        sections.insert(-1 if sections else 0, Section(free.pop(0), _paragraphs(take)))
    while len(sections) < 3:  # fewer sentences than sections: split the longest one
        longest = max(range(len(sections)), key=lambda i: len(sections[i].paragraphs))
        paragraphs = sections[longest].paragraphs
        if len(paragraphs) < 2 or not free:
            break
        half = len(paragraphs) // 2
        sections[longest] = Section(sections[longest].heading, paragraphs[:half])
        sections.insert(longest + 1, Section(free.pop(0), paragraphs[half:]))
    return tuple(sections[:5])
