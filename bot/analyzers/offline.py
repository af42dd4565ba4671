"""The embedded default analyser: an automatic extract of the article, not an AI analysis.

Deterministic and offline. Sentences are ranked by a TextRank-style graph (TF-IDF
cosine similarity, power iteration); the most central ones make the lead, and the
article's own sentences fill headed sections (what happened, the figures, the
reactions, what it means). The category comes from a keyword lexicon shipped in
`data/categories.toml`, the headings and cue words from `data/languages.toml`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from bot.errors import PrismError
from bot.models import Article, Draft, Generator, Section

__all__ = [
    "GENERATOR",
    "Lexicon",
    "OfflineAnalyzer",
    "clean_headline",
    "detect_language",
    "split_sentences",
    "textrank",
]

GENERATOR = Generator(backend="offline", model="offline-extractive-1", prompt_version="offline-1")
_INLINE_WORDS = 4000  # longer texts are analysed in a worker thread

# --- packaged data -----------------------------------------------------------------------


@cache
def _data(name: str) -> dict[str, Any]:
    """A TOML file of bot/analyzers/data (read-only package data, read once)."""
    text = resources.files("bot.analyzers").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Language:
    """Stop words, cue words and heading templates of one language."""

    code: str
    stopwords: frozenset[str]
    reporting: tuple[str, ...]
    outlook: tuple[str, ...]
    audiences: tuple[str, ...]
    templates: dict[str, str] = field(default_factory=dict)

    def heading(self, key: str, value: str | None) -> str:
        """The template `key` filled with `value`, or its plain form when value is None."""
        if value:
            return self.templates[key].replace("{subject}", value).replace("{audience}", value)
        return self.templates.get(f"{key}_plain", self.templates[key])


@cache
def language_data(code: str) -> Language:
    """Data for `code`; English cue words and headings fill what a language lacks."""
    table = _data("languages.toml")
    english = table["en"]
    own = table.get(code, {})
    merged = {k: own.get(k, english[k]) for k in english}
    stop = frozenset(own.get("stopwords", ())) | frozenset(english["stopwords"])
    templates = {k: str(v) for k, v in merged.items() if isinstance(v, str)}
    if "happened" not in own:  # headings only in languages that have them all
        templates = {k: str(v) for k, v in english.items() if isinstance(v, str)}
    return Language(
        code=code,
        stopwords=stop,
        reporting=tuple(merged["reporting"]),
        outlook=tuple(merged["outlook"]),
        audiences=tuple(merged["audiences"]),
        templates=templates,
    )


# --- language detection -------------------------------------------------------------------

_SCRIPTS = (
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
)
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_LATIN_LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "nl")


def detect_language(text: str) -> str | None:
    """A language code from the script, else from stop words; None when unsure."""
    sample = text[:3000]
    letters = sum(1 for ch in sample if ch.isalpha()) or 1
    for code, pattern in _SCRIPTS:
        if len(pattern.findall(sample)) / letters > 0.3:
            if code == "ja" or code != "zh":
                if code == "ru" and len(_UKRAINIAN.findall(sample)) > 5:
                    return "uk"
                return code
            return "zh"
    words = Counter(w.lower() for w in _WORD.findall(sample))
    table = _data("languages.toml")
    scores = {
        code: sum(words[w] for w in set(table[code]["stopwords"])) for code in _LATIN_LANGUAGES
    }
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] >= 5 else None


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


# --- the analyser ----------------------------------------------------------------------------


@dataclass
class _Sentence:
    index: int
    paragraph: int
    text: str
    tokens: list[str]
    score: float = 0.0


class OfflineAnalyzer:
    """Implements bot.ports.Analyzer with no network and no model: an honest extract."""

    backend = GENERATOR.backend
    model = GENERATOR.model
    prompt_version = GENERATOR.prompt_version

    def __init__(self, categories: Sequence[str], language: str = "auto") -> None:
        if not categories:
            raise ValueError("the offline analyser needs at least one category")
        self.categories = tuple(categories)
        self.language = language
        self.lexicon = Lexicon.load(self.categories)

    async def analyze(self, article: Article) -> Draft:
        """A Draft of `article`; long texts are analysed off the event loop."""
        if article.words > _INLINE_WORDS:
            return await asyncio.to_thread(self.analyze_sync, article)
        return self.analyze_sync(article)

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
            category=self.lexicon.classify(article.title, article.text),
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
            out.append(_Sentence(len(out), p, piece, tokens(piece, stopwords)))
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
    """The one or two most central sentences, in reading order."""
    ranked = sorted(sentences, key=lambda s: (-s.score, s.index))
    chosen = [ranked[0]]
    budget = 55 - len(ranked[0].text.split())
    for s in ranked[1:3]:
        words = len(s.text.split())
        if words <= budget and s.text[:1] not in _QUOTES and s.index < len(sentences) / 2:
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
