"""The category of an article: the publisher's section first, then a keyword lexicon."""

from __future__ import annotations

import math
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

    def classify(self, title: str, text: str) -> str:
        """The best-scoring category (the title counts double); the first one if none fits."""
        body, head = self.scores(text), self.scores(title)
        total = {name: body[name] + 2 * head[name] for name in self.categories}
        best = max(self.categories, key=lambda name: total[name])
        return best if total[best] > 0 else self.categories[0]
