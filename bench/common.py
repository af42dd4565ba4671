"""Shared by the benchmarks: a store filled with synthetic analyses, fast."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.models import Article, Draft, Generator, Section
from bot.store import StoreContract

WORDS = [
    "market",
    "inflation",
    "harbour",
    "council",
    "budget",
    "energy",
    "vaccine",
    "court",
    "election",
    "climate",
    "drought",
    "tariff",
    "union",
    "strike",
    "export",
    "shipping",
    "bank",
    "rates",
    "wage",
    "pension",
    "league",
    "final",
    "orbit",
    "telescope",
    "reactor",
    "grid",
    "battery",
    "chip",
    "factory",
    "museum",
    "festival",
    "treaty",
    "border",
]
CATEGORIES = ("World", "Politics", "Economy", "Business", "Technology", "Science")


def synthetic(n: int, rng: random.Random) -> tuple[Article, Draft, datetime]:
    def sentence(k: int = 12) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + "."

    url = f"https://news{n % 50}.example/{n // 50}/story-{n}"
    article = Article(url, url, sentence(6), " ".join(sentence() for _ in range(40)), 480)
    draft = Draft(
        headline=sentence(8).rstrip("."),
        dek=sentence(25),
        category=CATEGORIES[n % len(CATEGORIES)],
        sections=tuple(Section(sentence(4), (sentence(30), sentence(30))) for _ in range(4)),
        tags=tuple(rng.sample(WORDS, 4)),
        language="en",
        generator=Generator("offline", "bench", "bench-1"),
    )
    created = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n)
    return article, draft, created


async def fill(store: StoreContract, count: int, seed: int = 7) -> list[str]:
    """Store `count` analyses; returns their URLs."""
    rng = random.Random(seed)
    urls = []
    for n in range(count):
        article, draft, created = synthetic(n, rng)
        await store.analyses.save(article, draft, created_at=created)
        urls.append(article.url)
    return urls
