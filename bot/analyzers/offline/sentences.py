"""Sentences, paragraphs, content tokens and TextRank centrality of an article."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.analyzers.offline.language import _WORD

# --- sentences ---------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ABBREVIATIONS = _words(
    """mr mrs ms dr prof st sr jr inc ltd co corp gen gov sen rep lt col capt sgt mt no nr
    vs etc approx jan feb mar apr jun jul aug sep sept oct nov dec fig ca bzw dt sra
    srta dña av núm mme mlle hr fr dipl ing str jh jhs vgl usw ст им ул г гг тыс млн
    млрд"""
)
_TERMINAL = re.compile(r"[.!?…。！？]+[\"'”’»)\]」』]*")
_QUOTES = frozenset('"“”„«»「」')
_CJK_STOPS = frozenset("。！？")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph: abbreviations, initials, decimals, quotes and CJK aware."""
    out: list[str] = []
    start = 0
    quotes_total = sum(1 for ch in paragraph if ch in _QUOTES)
    for match in _TERMINAL.finditer(paragraph):
        end = match.end()
        if _is_boundary(paragraph, match, start, quotes_total):
            piece = paragraph[start:end].strip()
            if piece:
                out.append(piece)
            start = end
    rest = paragraph[start:].strip()
    if rest:
        out.append(rest)
    return out


def _is_boundary(text: str, match: re.Match[str], start: int, quotes_total: int) -> bool:
    end = match.end()
    cjk = match.group()[0] in _CJK_STOPS
    following = text[end : end + 1]
    if not cjk and following and not following.isspace():
        return False  # 3.75, U.S.-made, "e.g.x"
    rest = text[end:].lstrip()
    if rest and rest[0].islower():
        return False
    if quotes_total % 2 == 0 and sum(1 for ch in text[:end] if ch in _QUOTES) % 2 == 1:
        return False  # inside a quotation: keep the quote whole
    if match.group() == ".":
        before = text[start : match.start()].split()
        token = before[-1].lstrip("\"'“„«(") if before else ""
        if token.lower().rstrip(".") in _ABBREVIATIONS:
            return False
        if len(token) == 1 and token.isupper():
            return False  # an initial: "J. Smith"
        if re.fullmatch(r"(?:\w\.)+\w", token):
            return False  # e.g / U.S / z.B
    return True


def paragraphs_of(text: str) -> list[str]:
    """Paragraphs of an article text (blank lines or single line breaks)."""
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


# --- tokens and ranking ------------------------------------------------------------------

_HANGUL_WORD = re.compile(r"[\uac00-\ud7af]{2,}")
_HAN_RUN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]+")
_PARTICLES = tuple(
    sorted(
        _words(
            "은 는 이 가 을 를 의 에 에서 으로 로 과 와 도 만"
            " 에게 까지 부터 이다 에는 에서는 으로는"
        ),
        key=len,
        reverse=True,
    )
)


def _hangul_stem(word: str) -> str:
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


def tokens(text: str, stopwords: frozenset[str]) -> list[str]:
    """Content words: lower case, no stop words or numbers; Hangul stems, Han bigrams."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _HANGUL_WORD.fullmatch(word):
            out.append(_hangul_stem(word))
        elif _HAN_RUN.fullmatch(word):
            out.extend(word[i : i + 2] for i in range(max(1, len(word) - 1)))
        elif len(word) > 2 and word not in stopwords and not word[0].isdigit():
            out.append(word)
    return out


def _similarities(docs: Sequence[Sequence[str]]) -> list[list[tuple[int, float]]]:
    """Edges of the sentence graph: shared words weighted by IDF, over log lengths
    (TextRank's normalisation, which does not favour one-word-overlap short sentences)."""
    df: Counter[str] = Counter()
    sets = [set(doc) for doc in docs]
    for words in sets:
        df.update(words)
    n = len(docs)
    idf = {t: math.log(1 + n / c) for t, c in df.items()}
    norms = [math.log(len(doc) + 1) or 1.0 for doc in docs]
    edges: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i in range(n):
        si = sets[i]
        for j in range(i + 1, n):
            common = si & sets[j]
            if common:
                weight = sum(idf[t] for t in common) / (norms[i] + norms[j])
                edges[i].append((j, weight))
                edges[j].append((i, weight))
    return edges


def textrank(docs: Sequence[Sequence[str]], damping: float = 0.85) -> list[float]:
    """Centrality of each token list in the sentence-similarity graph (power iteration)."""
    n = len(docs)
    if n == 0:
        return []
    edges = _similarities(docs)
    out_weight = [sum(w for _, w in e) or 1.0 for e in edges]
    scores = [1.0 / n] * n
    for _ in range(60):
        new = [
            (1 - damping) / n + damping * sum(scores[j] * w / out_weight[j] for j, w in edges[i])
            for i in range(n)
        ]
        delta = sum(abs(a - b) for a, b in zip(new, scores, strict=True))
        scores = new
        if delta < 1e-7:
            break
    return scores


@dataclass
class _Sentence:
    index: int
    paragraph: int
    text: str
    tokens: list[str]
    score: float = 0.0
    leans: bool = False  # needs the sentence before it (see `leans`)


def leans(sentence: str, leaning: Sequence[str], attributed: Sequence[str]) -> bool:
    """The sentence needs the one before it: it opens on a pronoun, "this", "such", "the
    rest" (`leaning`), or it is a quote attributed to a pronoun ("…," he said)."""
    lowered = sentence.lstrip('"“”„«»( ').lower()
    for word in leaning:
        if lowered.startswith(word) and not lowered[len(word) : len(word) + 1].isalnum():
            return True
    if sentence[:1] in _QUOTES:
        padded = f" {sentence.lower()} "
        return any(re.search(rf"\W{re.escape(a)}\W", padded) for a in attributed)
    return False
