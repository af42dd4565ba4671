"""What an article is about, reduced to three small MinHash signatures (pure).

Outlets tell the same event in their own words, so word shingles barely overlap;
what they share is the vocabulary of the event (content words, lightly stemmed), its
names (capitalised words) and its numbers. Each of the three sets gets its own MinHash,
so the story index can weigh them apart: two announcements by the same company share
names but not numbers or vocabulary; two strikes at one port share a place but not
their figures. Signatures are plain integers, stored as bytes, so the index can be
rebuilt at start without the articles.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PRIME = (1 << 31) - 1  # small enough that a*x + b stays a machine-size integer
WORD_PERMS = 64
NAME_PERMS = 32
NUMBER_PERMS = 16
MAX_WORDS = 64  # distinct content words hashed per article (title and lead first)
MAX_NAMES = 24
MAX_NUMBERS = 16
_EMPTY = PRIME  # the minimum of an empty set: never equal to a real hash

_WORD = re.compile(r"[^\W\d_]{3,}")
_NAME = re.compile(r"\b[A-Z][\w'’-]*[^\W\d_]")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "ies", "ied", "ed", "es", "er", "ly", "s")
_STOPWORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just more most my no nor not now of off on once only or other our out
    over own said same says she should so some such than that the their them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yesterday today tomorrow monday
    tuesday wednesday thursday friday saturday sunday week month year new one two three
    first last told according officials official percent per cent statement"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def _params(count: int, salt: bytes) -> tuple[tuple[int, int], ...]:
    """Fixed (a, b) pairs for a*x + b mod p, derived from a salt: the same every run."""
    out = []
    for i in range(count):
        digest = hashlib.blake2b(salt + i.to_bytes(2, "big"), digest_size=16).digest()
        a, b = struct.unpack(">QQ", digest)
        out.append((a % (PRIME - 1) + 1, b % PRIME))
    return tuple(out)


_WORD_PARAMS = _params(WORD_PERMS, b"words")
_NAME_PARAMS = _params(NAME_PERMS, b"names")
_NUMBER_PARAMS = _params(NUMBER_PERMS, b"numbers")


@dataclass(frozen=True, slots=True)
class Signature:
    """MinHash values of an article's content words, names and numbers."""

    words: tuple[int, ...]
    names: tuple[int, ...]
    numbers: tuple[int, ...]

    def to_bytes(self) -> bytes:
        """Fixed-width big-endian integers, words then names then numbers."""
        values = (*self.words, *self.names, *self.numbers)
        return struct.pack(f">{len(values)}Q", *values)

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """The inverse of `to_bytes`; ValueError for data of the wrong size."""
        total = WORD_PERMS + NAME_PERMS + NUMBER_PERMS
        if len(data) != total * 8:
            raise ValueError("a story signature of the wrong size")
        values = struct.unpack(f">{total}Q", data)
        names_end = WORD_PERMS + NAME_PERMS
        return cls(values[:WORD_PERMS], values[WORD_PERMS:names_end], values[names_end:])


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two MinHash signatures (0 when both are empty)."""
    same = sum(1 for x, y in zip(a, b, strict=True) if x == y and x != _EMPTY)
    return same / len(a)


def signature(title: str, text: str) -> Signature:
    """The signature of an article from its title and text."""
    body = f"{title}. {title}. {text}"
    return Signature(
        words=_minhash(words(body), _WORD_PARAMS),
        names=_minhash(names(body), _NAME_PARAMS),
        numbers=_minhash(numbers(body), _NUMBER_PARAMS),
    )


def words(text: str, limit: int = MAX_WORDS) -> set[str]:
    """The first `limit` distinct content words, lower-cased and crudely stemmed.

    News puts the event first (title, then the lead), and the cap bounds the cost of a
    signature however long the article is.
    """
    out: set[str] = set()
    for word in _WORD.findall(text.casefold()):
        if word not in STOPWORDS:
            out.add(_stem(word))
            if len(out) >= limit:
                break
    return out


def names(text: str) -> set[str]:
    """The first capitalised words that are not stop words: people, places, organisations."""
    found = (m.group(0).casefold().rstrip("'’s") for m in _NAME.finditer(text))
    kept = (n for n in found if len(n) > 2 and n not in STOPWORDS)
    return set(list(dict.fromkeys(kept))[:MAX_NAMES])


def numbers(text: str) -> set[str]:
    """The first figures as written, without thousands separators (years included)."""
    found = (m.group(0).replace(",", "").rstrip(".") for m in _NUMBER.finditer(text))
    return set(list(dict.fromkeys(found))[:MAX_NUMBERS])


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)][:7]
    return word[:7]


def _minhash(tokens: Iterable[str], params: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    hashes = [_hash(t) for t in tokens]
    if not hashes:
        return (_EMPTY,) * len(params)
    return tuple(min([(a * h + b) % PRIME for h in hashes]) for a, b in params)


def _hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "big") % PRIME
