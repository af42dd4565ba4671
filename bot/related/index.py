"""Related analyses: bm25 over the FTS5 index, explained, optionally fused with embeddings.

One query per request. The source's most distinctive terms (idf from the fts5vocab
table) and its entities (tags) become an OR query with weighted columns; the best
candidates are then boosted for a shared category and shared entities, decayed by
age, and cleaned of the source itself and its copies. Each hit says why it matched.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Config
from bot.models import Analysis, sections_text
from bot.related.embeddings import (
    Embedder,
    VectorIndex,
    load_default_embedder,
    reciprocal_rank_fusion,
)
from bot.store import StoreContract, utcnow
from bot.store.contract import Brief, TextIndexContract

# bm25 column weights, in the FTS table's column order: headline, tags, dek, body.
COLUMN_WEIGHTS = (8.0, 6.0, 3.0, 1.0)
QUERY_TERMS = 8  # distinctive terms per query, besides entities
QUERY_ENTITIES = 6
CATEGORY_BOOST = 1.25
ENTITY_BOOST = 0.2  # per shared entity, at most three
RECENCY_FLOOR = 0.5  # the oldest analysis keeps half its score: relevance first
DUPLICATE_JACCARD = 0.8  # headlines at least this similar are the same story told twice
POOL = 8  # candidates read per result asked for (at least 40), before boosts and exclusions
# A hit that shares no entity must score at least this share of the best lexical hit:
# words in common alone ("record", "season", "shares") are weak evidence.
WEAK_FLOOR = 0.35
# The relevance floor: a hit that shares no entity is offered only when it shares at
# least this many distinctive words with the source, or one fewer when one of them is
# a name (never written in lower case in either text: "Ostwick", not "Marathon").
# Calibrated on tests/fixtures/related (mate-less sources, [mateless] in labels.toml):
# every true mate there shares an entity, while noise shares two or three loose words
# ("record, Rotterdam, become"). bench/bench_related_floor.py prints the figures.
MIN_COMMON_TERMS = 4
# With embeddings, a neighbour at least this similar (cosine) is kept without shared words.
SEMANTIC_TRUST = 0.5
LOOKUP_TERMS = 32  # the source's heaviest terms whose document frequency is read
COMMON_SHARE = 0.01  # a term in more than 1% of analyses (and ...
COMMON_FLOOR = 20.0  # ... more than 20 of them) says little about a story
CACHE_TERMS = 200_000  # document frequencies and stems kept in memory, at most

_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    str.split(
        """a about after against all also an and any are as at be because been before being
    between both but by can could did do does during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just more most
    much new no nor not now of off on once one only or other our out over own same she
    should so some such than that the their them then there these they this those
    through to too two under until up very was we were what when where which while who
    whom why will with would year years you your every many may might must make made
    said says like well back down still even per percent since whether means matters
    happened"""
    )
) | frozenset(  # generic verbs and fillers: never a query term, never a reason
    str.split(
        """add adds added become becomes became becoming begin begins began get gets got
    give gives gave go goes going went keep keeps kept show shows showed shown take takes
    took taken find finds found win wins won approve approves approved expand expands
    expanded need needs needed grow grows grew grown leave leaves left rise rises rising
    rose fall falls fell set sets put puts come comes came ahead end ends ended later
    early told tell say saying according include includes included use uses used want
    wants wanted plan plans planned move moves moved help helps helped start starts
    started first last next big small high low large long little own really part around
    week weeks month months day days today yesterday time times way ways lot number"""
    )
)


@dataclass(frozen=True, slots=True)
class RelatedHit:
    """One related analysis, its score and the reason a reader is shown."""

    analysis: Analysis
    score: float
    reason: str  # short, shown to users: "shares Ford, Xiaomi · same category"


# The columns ranking reads; `Analysis` has the same names, so helpers take either.
_Brief = Brief

_Story = Analysis | _Brief


@dataclass(slots=True)
class _Query:
    """What the source is about: weighted stems (with a word to show) and entities."""

    terms: dict[str, float] = field(default_factory=dict)  # stem -> weight
    words: dict[str, str] = field(default_factory=dict)  # stem -> a surface word
    entities: list[str] = field(default_factory=list)  # tags worth matching, as written

    def phrases(self) -> list[str]:
        """What the text index is asked for, any of: a word per term, then each entity."""
        phrases = [self.words[stem] for stem in self.terms]
        phrases += [" ".join(_WORD.findall(e)) for e in self.entities]
        return phrases


class RelatedIndex:
    """Finds analyses related to one analysis, over the store's full-text index."""

    def __init__(
        self, store: StoreContract, config: Config, embedder: Embedder | None = None
    ) -> None:
        self.store = store
        self.config = config
        if embedder is None and config.related.embeddings:
            embedder = load_default_embedder()  # ConfigError naming the extra if missing
        self.vectors = VectorIndex(store.vectors, embedder) if embedder else None
        self.frequencies = _Frequencies(store.text)
        self._stemmer: _Stemmer | None = None

    async def find(
        self, source: Analysis, limit: int | None = None, now: datetime | None = None
    ) -> list[RelatedHit]:
        """Analyses related to `source`, best first, never `source` or its duplicates."""
        limit = limit or self.config.related.limit
        stemmer = self._stemmer = self._stemmer or _Stemmer(self.store.text)
        query = await self._query(source, stemmer)
        scored, trusted = await self._scored(source, query, limit, now or utcnow())
        # Full rows for the few that can make the list; a candidate ranked below 3 x limit
        # after boosts is not worth reading whole analyses for.
        shortlist = scored[: 3 * limit]
        full = await self.store.analyses.many([b.id for _, b in shortlist])
        ranked = [(score, full[b.id]) for score, b in shortlist if b.id in full]
        await stemmer.learn(_text(a) for _, a in ranked)  # _select stems from memory
        return _select(source, query, ranked, limit, stemmer, trusted)

    async def _scored(
        self, source: Analysis, query: _Query, limit: int, now: datetime
    ) -> tuple[list[tuple[float, _Brief]], set[int]]:
        """Candidates boosted and decayed, best first; and the ids embeddings vouch for."""
        lexical = await self._lexical(source, query, limit)
        nearest = await self._semantic(source, limit)
        semantic = [i for i, _ in nearest]
        briefs = await self._briefs(list(set(lexical) | set(semantic)))
        base = reciprocal_rank_fusion([list(lexical), semantic]) if semantic else lexical
        floor = WEAK_FLOOR * max(lexical.values(), default=0.0)
        trusted = {i for i, similarity in nearest[:limit] if similarity >= SEMANTIC_TRUST}
        scored = [
            (base[b.id] * self._boost(source, b, now), b)
            for b in briefs
            if not _same_story(source, b)
            and (_shared_entities(source, b) or lexical.get(b.id, 0.0) >= floor or b.id in trusted)
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1].id))
        return scored, trusted

    async def _briefs(self, ids: list[int]) -> list[_Brief]:
        """What scoring needs of each candidate, without parsing whole analyses."""
        return await self.store.text.briefs(ids)

    async def remember(self, analysis: Analysis) -> None:
        """Index hook for the core: call after saving an analysis (no-op without embeddings)."""
        if self.vectors is not None:
            await self.vectors.remember([analysis])

    async def backfill(self, batch: int = 64) -> int:
        """Embed every analysis that has no vector yet (seeds, older archives); returns count."""
        if self.vectors is None:
            return 0
        done = 0
        while ids := await self.vectors.missing(batch):
            found = await self.store.analyses.many(ids)
            await self.vectors.remember([found[i] for i in ids if i in found])
            done += len(ids)
        return done

    async def _query(self, source: Analysis, stemmer: _Stemmer) -> _Query:
        """The source's heaviest rare terms (tf by column weight x idf) and its entities."""
        fields = (
            source.headline,
            " ".join(source.tags),
            source.dek,
            sections_text(source.sections),
        )
        counts: list[Counter[str]] = [Counter(_words(text)) for text in fields]
        surface = {w.casefold(): w for c in reversed(counts) for w in c}
        stems = await stemmer.stems(sorted(surface))
        tf: dict[str, float] = {}
        words: dict[str, str] = {}
        for weight, counter in zip(COLUMN_WEIGHTS, counts, strict=True):
            for word, n in counter.items():
                stem = stems.get(word.casefold())
                if stem and word.casefold() not in _STOPWORDS and not word.isdigit():
                    tf[stem] = tf.get(stem, 0.0) + weight * n
                    words.setdefault(stem, surface[word.casefold()])
        likely = sorted(tf, key=lambda s: (-tf[s], s))[:LOOKUP_TERMS]
        df, total, cap = await self.frequencies.lookup(likely)
        weights = {
            stem: tf[stem] / (tf[stem] + 2.0) * _idf(df[stem], total)
            for stem in tf
            if 2 <= df.get(stem, 0) <= cap and len(stem) > 2
        }
        best = sorted(weights, key=lambda s: (-weights[s], s))[:QUERY_TERMS]
        common = self.frequencies.is_common
        entities = [  # a tag made only of common words ("inflation") costs much, says little
            t
            for t in source.tags
            if _words(t) and not all(common(stems.get(w.casefold())) for w in _words(t))
        ][:QUERY_ENTITIES]
        return _Query({s: weights[s] for s in best}, words, entities)

    async def _lexical(self, source: Analysis, query: _Query, limit: int) -> dict[int, float]:
        """Candidate id -> score (higher is better), best first: one text-index query."""
        phrases = query.phrases()
        if not phrases:
            return {}
        return await self.store.text.match(phrases, COLUMN_WEIGHTS, source.id, _pool(limit))

    async def _semantic(self, source: Analysis, limit: int) -> list[tuple[int, float]]:
        """(id, similarity) of the nearest analyses by embedding; empty without the extra."""
        if self.vectors is None:
            return []
        return [
            p for p in await self.vectors.nearest(source, _pool(limit) + 1) if p[0] != source.id
        ]

    def _boost(self, source: Analysis, other: _Story, now: datetime) -> float:
        shared = len(_shared_entities(source, other))
        boost = 1.0 + ENTITY_BOOST * min(shared, 3)
        if other.category == source.category:
            boost *= CATEGORY_BOOST
        age_days = max(0.0, (now - other.created_at).total_seconds() / 86400)
        decay = math.pow(0.5, age_days / self.config.related.recency_half_life_days)
        return boost * (RECENCY_FLOOR + (1 - RECENCY_FLOOR) * decay)


class _Frequencies:
    """Document frequencies from the text index, cached while the archive barely changes.

    Counting a term's documents reads its whole posting list, so a lookup costs time
    in proportion to the term's frequency. Counts of two or more are kept until the
    archive grows by 1% (an idf that is 1% stale ranks the same); a count of one is
    never kept, so a follow-up that shares a rare word matches as soon as it is stored.
    Common terms (above `cap`) are remembered only as common.
    """

    def __init__(self, text: TextIndexContract) -> None:
        self.text = text
        self.known: dict[str, int] = {}  # stem -> df (df > cap stored as cap + 1)
        self.cap = COMMON_FLOOR
        self._total = 0

    def is_common(self, stem: str | None) -> bool:
        """Known to be in more than `cap` analyses (as of the last lookup)."""
        return stem is not None and self.known.get(stem, 0) > self.cap

    async def lookup(self, stems: list[str]) -> tuple[dict[str, int], int, float]:
        """(df of each stem that is neither unknown nor common, archive size, cap)."""
        ask = [s for s in stems if s not in self.known]
        counted, total = await self.text.document_frequencies(ask)
        if not self._total <= total <= self._total * 1.01 or len(self.known) > CACHE_TERMS:
            self.known.clear()
            self._total = total
            asked = set(ask)
            rest = [s for s in stems if s not in asked]
            if rest:  # known a moment ago, stale now: count them again
                more, _ = await self.text.document_frequencies(rest)
                counted.update(more)
            ask = list(stems)
        cap = max(COMMON_FLOOR, COMMON_SHARE * self._total)
        for term, doc in counted.items():
            if doc > 1:
                self.known[term] = min(doc, int(cap) + 1)
            else:
                self.known.pop(term, None)
        self.cap = cap
        asking = set(ask)
        found = {s: self.known.get(s, 1 if s in asking else 0) for s in stems}
        return {s: n for s, n in found.items() if 0 < n <= cap}, total, cap


class _Stemmer:
    """Word -> index term, remembered: the text index's own tokenizer, asked once a word.

    The query must use exactly the index's terms (porter stemming is not idempotent,
    so stems cannot be re-stemmed). `learn` asks the index; `stem_set` then answers
    from memory, so ranking stays synchronous.
    """

    def __init__(self, text: TextIndexContract) -> None:
        self.text = text
        self.cache: dict[str, str | None] = {}  # stemming is pure: remember it

    async def stems(self, words: Collection[str]) -> dict[str, str]:
        """word -> its single index term (words that split into several are left out)."""
        await self._learn(set(words))
        return {w: stem for w in words if (stem := self.cache[w]) is not None}

    async def learn(self, texts: Iterable[str]) -> None:
        """Stem every word of these texts now, so `stem_set` on them needs no query."""
        words: set[str] = set()
        for text in texts:
            words.update(_WORD.findall(text.casefold()))
        await self._learn(words)

    def stem_set(self, text: str) -> set[str]:
        """The index terms of a learned text (of its words that are one term each)."""
        words = set(_WORD.findall(text.casefold()))
        cache = self.cache
        return {stem for w in words if (stem := cache.get(w)) is not None}

    async def _learn(self, words: set[str]) -> None:
        cache = self.cache
        new = [w for w in words if w not in cache]
        if len(self.cache) + len(new) > CACHE_TERMS:
            self.cache.clear()
            new = list(words)
        if new:
            for word, terms in zip(new, await self.text.terms(new), strict=True):
                self.cache[word] = next(iter(terms)) if len(terms) == 1 else None


def _pool(limit: int) -> int:
    return max(40, POOL * limit)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _idf(df: int, total: int) -> float:
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


@functools.lru_cache(maxsize=4096)
def _headline_tokens(headline: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in _words(headline))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _near_identical(a: _Story, b: _Story) -> bool:
    return _jaccard(_headline_tokens(a.headline), _headline_tokens(b.headline)) >= DUPLICATE_JACCARD


def _same_story(source: Analysis, other: _Story) -> bool:
    """The source itself, another analysis of its article, or a copy of its headline."""
    return (
        other.id == source.id
        or other.article_id == source.article_id
        or other.canonical_url == source.canonical_url
        or _near_identical(source, other)
    )


def _shared_entities(source: Analysis, other: _Story) -> list[str]:
    theirs = {t.casefold() for t in other.tags}
    return [t for t in source.tags if t.casefold() in theirs]


def _select(
    source: Analysis,
    query: _Query,
    scored: list[tuple[float, Analysis]],
    limit: int,
    stemmer: _Stemmer,
    trusted: set[int],
) -> list[RelatedHit]:
    """Best first, each with its reason; skips copies of a better hit and weak matches.

    A hit that shares no entity needs at least four of the query's terms and the
    source's category: a word or two in common ("record", "shares") is not a reason a
    reader would accept, and below that floor the answer is "nothing related yet". The embedding
    model's nearest few (`trusted`) are kept on its word.
    """
    hits: list[RelatedHit] = []
    for score, hit in scored:
        if any(_near_identical(hit, kept.analysis) for kept in hits):
            continue
        shared = _shared_entities(source, hit)[:3]
        terms = stemmer.stem_set(_text(hit))
        common = [query.words[s] for s in query.terms if s in terms]
        if not shared and hit.id not in trusted and not _enough_in_common(source, hit, common):
            continue
        hits.append(RelatedHit(hit, float(f"{score:.4g}"), _reason(source, hit, shared, common)))
        if len(hits) == limit:
            break
    return hits


def _enough_in_common(source: Analysis, hit: Analysis, common: list[str]) -> bool:
    """Without a shared entity: several distinctive words, fewer if one is a name."""
    if len(common) >= MIN_COMMON_TERMS:
        return True
    if len(common) < MIN_COMMON_TERMS - 1:
        return False
    lower = {w for text in (_text(source), _text(hit)) for w in _words(text) if w.islower()}
    return any(w[:1].isupper() and w.casefold() not in lower for w in common)


def _text(analysis: Analysis) -> str:
    return "\n".join(
        (analysis.headline, " ".join(analysis.tags), analysis.dek, sections_text(analysis.sections))
    )


def _reason(source: Analysis, hit: Analysis, shared: list[str], common: list[str]) -> str:
    """ "shares Ford, Xiaomi · same category", "both mention barges, Rhine", …"""
    if shared:
        parts = [f"shares {', '.join(shared)}"]
    elif common:
        parts = [f"both mention {', '.join(common[:3])}"]
    else:
        parts = []
    if hit.category == source.category:
        parts.append("same category")
    return " · ".join(parts) or "similar subject"
