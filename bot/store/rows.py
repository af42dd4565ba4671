"""Stored rows as boundary types, once for every backend.

SQLite hands JSON lists back as text and times as ISO strings; PostgreSQL hands back
lists (jsonb) and datetimes (timestamptz). Each backend names its two decoders and
shares the mapping, so a field added to Analysis or Article is mapped in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.models import Analysis, Article, Generator, Section, Source, Usage


@dataclass(frozen=True, slots=True)
class Decode:
    """How a backend's columns come back: JSON lists, and moments."""

    lists: Callable[[Any], list[Any]]
    moment: Callable[[Any], datetime]


def analysis_from_row(row: Any, decode: Decode) -> Analysis:
    """An analysis row joined with its article's canonical URL, title, site and date."""
    return Analysis(
        id=int(row["id"]),
        article_id=int(row["article_id"]),
        url=row["url"],
        canonical_url=row["canonical_url"],
        headline=row["headline"],
        dek=row["dek"],
        category=row["category"],
        sections=tuple(
            Section(s["heading"], tuple(s["paragraphs"])) for s in decode.lists(row["sections"])
        ),
        tags=tuple(decode.lists(row["tags"])),
        language=row["language"],
        key_question=row["key_question"],
        reading_minutes=row["reading_minutes"],
        source=Source(
            url=row["url"],
            publisher=row["site"],
            title=row["article_title"],
            published_at=row["published_at"],
        ),
        generator=Generator(
            backend=row["backend"],
            model=row["model"],
            prompt_version=row["prompt_version"],
            usage=Usage(
                int(row["input_tokens"]),
                int(row["output_tokens"]),
                int(row["cache_creation_tokens"]),
                int(row["cache_read_tokens"]),
            ),
        ),
        created_at=decode.moment(row["created_at"]),
        requests=int(row["requests"]),
        flags=tuple(decode.lists(row["flags"])),
    )


def article_from_row(row: Any, first_url: str | None) -> Article:
    """A stored article; `first_url` is a URL that led to it (its canonical one if none)."""
    return Article(
        url=first_url or row["canonical_url"],
        canonical_url=row["canonical_url"],
        title=row["title"],
        text=row["text"],
        words=row["words"],
        author=row["author"],
        published_at=row["published_at"],
        site=row["site"],
        language=row["language"],
    )
