"""The category of an article: the publisher's section first, then a keyword lexicon."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.analyzers.offline.language import _WORD, _data
from bot.analyzers.offline.sentences import _HAN_RUN, _HANGUL_WORD

# --- categories ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lexicon:
    """Weighted keywords of the configured categories, indexed for a quick scan."""

    words: dict[str, tuple[tuple[str, float], ...]]
    prefixes: dict[str, tuple[tuple[str, str, float], ...]]
    phrases: tuple[tuple[str, str, float], ...]
    categories: tuple[str, ...]

    @classmethod
    def load(cls, categories: Sequence[str]) -> Lexicon:
        """Keywords for `categories` only; one missing from the lexicon matches its name."""
        table = {name.casefold(): entry for name, entry in _data("categories.toml").items()}
        best: dict[tuple[str, str], float] = {}
        for name in categories:
            entry = table.get(name.casefold(), {"3": [name.casefold()]})
            for weight, keywords in entry.items():
                for keyword in keywords:
                    key = (keyword.casefold(), name)
                    best[key] = max(best.get(key, 0.0), float(weight))
        words: dict[str, list[tuple[str, float]]] = {}
        prefixes: dict[str, list[tuple[str, str, float]]] = {}
        phrases: list[tuple[str, str, float]] = []
        for (keyword, name), weight in sorted(best.items()):
            stem = keyword.rstrip("*")
            if " " in stem or _HAN_RUN.search(stem) or _HANGUL_WORD.search(stem):
                phrases.append((stem, name, weight))
            elif keyword.endswith("*"):
                prefixes.setdefault(stem[:3], []).append((stem, name, weight))
            else:
                words.setdefault(stem, []).append((name, weight))
        return cls(
            words={k: tuple(v) for k, v in words.items()},
            prefixes={k: tuple(v) for k, v in prefixes.items()},
            phrases=tuple(phrases),
            categories=tuple(categories),
        )

    def scores(self, text: str) -> dict[str, float]:
        """Category -> evidence in `text`: weight x (1 + ln count) per keyword found."""
        lowered = text.lower()
        hits: Counter[tuple[str, str, float]] = Counter()
        for word, count in Counter(_WORD.findall(lowered)).items():
            for name, weight in self.words.get(word, ()):
                hits[(word, name, weight)] += count
            for stem, name, weight in self.prefixes.get(word[:3], ()):
                if word.startswith(stem):
                    hits[(stem, name, weight)] += count
        for phrase, name, weight in self.phrases:
            found = lowered.count(phrase)
            if found:
                hits[(phrase, name, weight)] += found
        scores = dict.fromkeys(self.categories, 0.0)
        for (_, name, weight), count in hits.items():
            scores[name] += weight * (1 + math.log(count))
        return scores

    def classify(self, title: str, text: str, among: Sequence[str] = ()) -> str:
        """The best-scoring category (the title counts double); the first one if none fits.

        `among` narrows the choice (the categories a publisher's section names)."""
        options = tuple(among) or self.categories
        body, head = self.scores(text), self.scores(title)
        total = {name: body[name] + 2 * head[name] for name in options}
        best = max(options, key=lambda name: total[name])
        return best if total[best] > 0 else options[0]


def _fold(text: str) -> str:
    """Lower case without accents: "Économie" and "economie" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_LABEL_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SectionMap:
    """Publisher section words (data/sections.toml) -> the configured categories."""

    words: dict[str, tuple[str, ...]]

    @classmethod
    def load(cls, categories: Sequence[str]) -> SectionMap:
        """Words for `categories` only; each category's own name names it too."""
        table = {name.casefold(): words for name, words in _data("sections.toml").items()}
        found: dict[str, list[str]] = {}
        for name in categories:
            for word in [name, *table.get(name.casefold(), ())]:
                names = found.setdefault(_fold(str(word)), [])
                if name not in names:
                    names.append(name)
        return cls({word: tuple(names) for word, names in found.items()})

    def named(self, label: str) -> tuple[str, ...]:
        """The categories a section label names: the whole label, else word by word."""
        folded = _fold(label).strip()
        if folded in self.words:
            return self.words[folded]
        out: list[str] = []
        for word in _LABEL_WORD.findall(folded):
            out += [name for name in self.words.get(word, ()) if name not in out]
        return tuple(out)


def categorize(
    lexicon: Lexicon, sections: SectionMap, title: str, text: str, labels: Sequence[str]
) -> str:
    """The publisher's own section first (the first label that names a category; the
    lexicon picks when it names several), then the keyword lexicon alone."""
    for label in labels:
        options = sections.named(label)
        if options:
            return options[0] if len(options) == 1 else lexicon.classify(title, text, options)
    return lexicon.classify(title, text)
