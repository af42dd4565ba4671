"""The offline analyser: an automatic extract of the article, not an AI analysis."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Sequence

from bot.analyzers.offline.categories import Lexicon, SectionMap, categorize
from bot.analyzers.offline.language import Language, detect_language, language_data
from bot.analyzers.offline.names import _hangul_terms, clean_headline, entities
from bot.analyzers.offline.sections import _capital, _has, _phrase, _sections, _subject
from bot.analyzers.offline.sentences import (
    _QUOTES,
    _Sentence,
    leans,
    paragraphs_of,
    split_sentences,
    textrank,
    tokens,
)
from bot.errors import AnalysisUnavailable, PrismError
from bot.models import Analysis, Article, Draft, Generator

GENERATOR = Generator(backend="offline", model="offline-extractive-1", prompt_version="offline-1")
_INLINE_WORDS = 4000  # longer texts are analysed in a worker thread


class OfflineAnalyzer:
    """Implements bot.ports.Analyzer with no network and no model: an honest extract."""

    backend = GENERATOR.backend
    model = GENERATOR.model
    prompt_version = GENERATOR.prompt_version
    translates = False  # an extract stays in the article's language

    def __init__(self, categories: Sequence[str], language: str = "auto") -> None:
        if not categories:
            raise ValueError("the offline analyser needs at least one category")
        self.categories = tuple(categories)
        self.language = language
        self.lexicon = Lexicon.load(self.categories)
        self.sections = SectionMap.load(self.categories)

    async def analyze(self, article: Article, language: str | None = None) -> Draft:
        """A Draft of `article`, in the article's own language whatever `language` asks
        (an extract cannot translate; replies say so); long texts run off the loop."""
        if article.words > _INLINE_WORDS:
            return await asyncio.to_thread(self.analyze_sync, article)
        return self.analyze_sync(article)

    async def translate(self, source: Analysis, article: Article, language: str) -> Draft:
        """Refused: the offline analyser cannot translate (callers check `translates`)."""
        raise AnalysisUnavailable("the offline analyser cannot translate an analysis")

    async def analyze_many(self, articles: Sequence[Article]) -> list[Draft | PrismError]:
        """Each article in turn, failures returned in place."""
        out: list[Draft | PrismError] = []
        for article in articles:
            try:
                out.append(await self.analyze(article))
            except PrismError as exc:
                out.append(exc)
        return out

    async def aclose(self) -> None:
        """Nothing to release: no connections, no threads of its own."""

    def analyze_sync(self, article: Article) -> Draft:
        """The whole analysis, on the calling thread (pure CPU, deterministic)."""
        code = article.language or detect_language(article.text) or "en"
        data = language_data(code)
        heads = language_data(self.language) if self.language != "auto" else data
        headline = clean_headline(article.title, article.site)
        sentences = _sentences(article.text, data, headline)
        sentences = _rank(sentences, tokens(headline, data.stopwords))
        dek_ids = _dek(sentences)
        dek = " ".join(sentences[i].text for i in dek_ids)
        names = _names(article, sentences, data)
        topic = _phrase(sentences, headline, data)
        subject = _subject(names, headline) or topic
        sections = _sections(sentences, set(dek_ids), data, heads, names, (subject, headline))
        headline = headline or _shorten(dek)
        return Draft(
            headline=headline,
            dek=dek,
            category=categorize(
                self.lexicon, self.sections, article.title, article.text, article.sections
            ),
            sections=sections,
            tags=_tags(names, sentences, article.title),
            language=code,
            generator=GENERATOR,
            key_question=_capital(heads.heading("question", subject)),
        )


def _sentences(text: str, data: Language, title: str = "") -> list[_Sentence]:
    """The article's sentences; the repeated title and sub-headings are left out."""
    stopwords = data.stopwords
    out: list[_Sentence] = []
    for p, paragraph in enumerate(paragraphs_of(text)):
        if paragraph.casefold() == title.casefold() or _is_heading(paragraph):
            continue
        for piece in _attributed(split_sentences(paragraph), data.reporting):
            sentence = _Sentence(len(out), p, piece, tokens(piece, stopwords))
            sentence.leans = bool(out) and leans(piece, data.leaning, data.attributed)
            out.append(sentence)
    if len(out) < 3:  # a text without punctuation: cut it into pieces of ~40 words
        words = text.split()
        chunks = [" ".join(words[i : i + 40]) for i in range(0, len(words), 40)] or [text]
        out = [_Sentence(i, i, c, tokens(c, stopwords)) for i, c in enumerate(chunks)]
    return out


def _attributed(pieces: list[str], reporting: Sequence[str]) -> list[str]:
    """A quoted sentence without its own "she said" stays with the one that names the
    speaker, so no quotation is shown out of context."""
    out: list[str] = []
    for piece in pieces:
        if out and piece[:1] in _QUOTES and not _has(piece, reporting):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _is_heading(paragraph: str) -> bool:
    """A short line without closing punctuation: a sub-heading, a caption, a credit."""
    return len(paragraph.split()) <= 12 and not re.search(r"[.!?…。！？\"”»:]$", paragraph)


def _rank(sentences: list[_Sentence], title: Sequence[str]) -> list[_Sentence]:
    """Centrality, raised by words shared with the title and by an early position (news
    puts the point first), lowered for quotes, questions and very short or long ones."""
    scores = textrank([s.tokens for s in sentences[:200]])
    n = len(sentences)
    wanted = set(title)
    for s in sentences:
        base = scores[s.index] if s.index < len(scores) else 0.0
        length = len(s.text.split())
        shared = len(wanted & set(s.tokens)) / len(wanted) if wanted else 0.0
        factor = (1.0 + (1 - s.index / n)) * (1.0 + shared)
        if s.text[:1] in _QUOTES:
            factor *= 0.5
        if length < 8 or s.text.endswith("?"):
            factor *= 0.4
        elif length < 15:
            factor *= 0.6
        elif length > 45:
            factor *= 0.7
        s.score = base * factor
    return sentences


def _dek(sentences: Sequence[_Sentence]) -> list[int]:
    """The one or two most central sentences, in reading order; none that leans on a
    sentence the dek leaves out."""
    ranked = sorted(sentences, key=lambda s: (-s.score, s.index))
    first = next((s for s in ranked if not s.leans), ranked[0])
    chosen = [first]
    budget = 55 - len(first.text.split())
    if len(sentences) < 5:  # a brief: keep the rest for the sections
        return [first.index]
    for s in [r for r in ranked if r is not first][:2]:
        words = len(s.text.split())
        fits = words <= budget and s.text[:1] not in _QUOTES and s.index < len(sentences) / 2
        if fits and (not s.leans or s.index == first.index + 1):
            chosen.append(s)
            break
    return sorted(s.index for s in chosen)


def _names(article: Article, sentences: Sequence[_Sentence], data: Language) -> list[str]:
    """The article's named actors, most prominent first (the title counts extra)."""
    texts = [s.text for s in sentences]
    if data.code in ("ko", "ja", "zh"):
        found = _hangul_terms(article.text, data.stopwords)
    else:
        found = entities(texts, data.stopwords)
    if data.code == "de":  # every German noun is capitalised: only names of two words
        found = Counter({n: c for n, c in found.items() if " " in n})
    title = article.title.lower()

    def weight(name: str) -> float:
        bonus = 3.0 if name.lower() in title else 1.0
        return found[name] * (1 + 0.15 * name.count(" ")) * bonus

    return sorted(found, key=lambda n: (-weight(n), n))


def _tags(names: Sequence[str], sentences: Sequence[_Sentence], title: str) -> tuple[str, ...]:
    """Up to five names and three frequent salient terms."""
    tags = list(names[:5])
    taken = {w.lower() for n in tags for w in n.split()}
    counts = Counter(t for s in sentences for t in s.tokens if len(t) >= 4)
    for term in tokens(title, frozenset()):
        if term in counts:
            counts[term] += 2
    for term, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(tags) >= 8 or count < 2:
            break
        if term not in taken and term not in (t.lower() for t in tags):
            tags.append(term)
    return tuple(tags)


def _shorten(text: str, limit: int = 90) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
