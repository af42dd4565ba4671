"""Articles and drafts for the contract suite."""

from __future__ import annotations

from bot.models import Article, Draft, Generator, Section, Usage


def article(n: int = 1, canonical: str | None = None) -> Article:
    """Article `n` of a made-up site (its URL carries a tracking parameter)."""
    return Article(
        url=f"https://news.example/story-{n}?utm_source=x",
        canonical_url=canonical or f"https://news.example/story-{n}",
        title=f"Story {n}",
        text="Some article text. " * 50,
        words=150,
        site="News Example",
        language="en",
    )


def draft(
    headline: str = "Harbour strike halts grain exports",
    category: str = "Economy",
    tags: tuple[str, ...] = ("dock workers", "grain"),
    body: str = "Workers stopped loading ships.",
) -> Draft:
    """A small analysis with two sections."""
    return Draft(
        headline=headline,
        dek="Dock workers walked out on Monday. Who pays for the delay?",
        category=category,
        sections=(
            Section("What happened", (body,)),
            Section("What it means", ("Farmers face storage costs.",)),
        ),
        tags=tags,
        language="en",
        generator=Generator("offline", "offline-extractive-1", "offline-1", Usage(1, 2, 3, 4)),
        key_question="Who pays for the delay?",
    )
