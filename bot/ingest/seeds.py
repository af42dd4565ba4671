"""Sample analyses shipped with prism-bot, so a first run and a demo have content.

Each seed is one TOML file in the `seeds` package (or a folder given on the command
line): the source article with its text, and a handwritten analysis. Seeds keep their
own dates, so loading them never floods a first digest, and an URL already stored is
skipped, so importing twice adds nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from bot.errors import PrismError
from bot.ingest import links
from bot.models import Article, Draft, Generator, Section
from bot.store import StoreContract
from bot.text import word_count

__all__ = ["SEED_GENERATOR", "InvalidSeed", "Seed", "SeedReport", "import_seeds", "load_seed"]

SEED_GENERATOR = Generator(backend="seed", model="handwritten", prompt_version="seed-1")

_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "url": str,
    "publisher": str,
    "title": str,
    "published_at": (str, datetime),
    "created_at": (str, datetime),
    "category": str,
    "language": str,
    "headline": str,
    "dek": str,
    "key_question": str,
    "tags": list,
    "text": str,
    "sections": list,
}
_OPTIONAL: dict[str, type | tuple[type, ...]] = {"author": str}


class InvalidSeed(PrismError):
    """A seed file that cannot be loaded; the message names the file and the key."""

    kind = "invalid-seed"


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What an import did: seeds added, and seeds skipped as already stored."""

    added: int
    skipped: int


@dataclass(frozen=True, slots=True)
class Seed:
    """One sample analysis file, parsed."""

    article: Article
    draft: Draft
    created_at: datetime


async def import_seeds(
    store: StoreContract,
    folder: Path | str | None = None,
    categories: Sequence[str] | None = None,
    *,
    skip_other_categories: bool = False,
) -> SeedReport:
    """Store every seed in `folder` (default: the shipped ones) that is not stored yet.

    Every file is validated before anything is stored, so a bad file adds nothing. With
    `categories`, a seed filed under another category is refused like a config error
    (or, with `skip_other_categories`, left out: a first run with custom categories).
    """
    loaded = [(path.name, load_seed(path)) for path in _seed_files(folder)]
    filed = [_filed(name, s, categories, skip_other_categories) for name, s in loaded]
    added = skipped = 0
    for seed in filter(None, filed):
        if await store.analyses.by_url(seed.article.canonical_url) is not None:
            skipped += 1
            continue
        await store.analyses.save(
            seed.article, seed.draft, (seed.article.url,), created_at=seed.created_at
        )
        added += 1
    return SeedReport(added=added, skipped=skipped)


def _filed(name: str, seed: Seed, categories: Sequence[str] | None, skip: bool) -> Seed | None:
    """The seed under the configured spelling of its category; one whose category is not
    configured is refused (None when `skip`)."""
    if categories is None:
        return seed
    category = seed.draft.category
    spelling = next((c for c in categories if c.casefold() == category.casefold()), None)
    if spelling is not None:
        return replace(seed, draft=replace(seed.draft, category=spelling))
    if skip:
        return None
    raise InvalidSeed(
        f"seed {name}: category: {category!r} is not configured "
        f"(one of: {', '.join(categories)}; see [categories] names)"
    )


def _seed_files(folder: Path | str | None) -> list[Traversable]:
    root: Traversable = Path(folder) if folder is not None else resources.files("seeds")
    if not root.is_dir():
        raise InvalidSeed(f"seeds: {folder} is not a folder")
    return sorted((p for p in root.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)


def load_seed(path: Traversable) -> Seed:
    """Read and validate one seed file; errors say `<file>: <key>: <what is wrong>`."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidSeed(f"seed {name}: not valid TOML ({exc})") from exc
    _check_keys(name, data)
    url = _url(name, data["url"])
    article = Article(
        url=data["url"],
        canonical_url=url,
        title=_text(name, data, "title"),
        text=_text(name, data, "text"),
        words=word_count(data["text"]),
        author=data.get("author") or None,
        published_at=_moment(name, data, "published_at").isoformat(),
        site=_text(name, data, "publisher"),
        language=_language(name, data["language"]),
    )
    draft = Draft(
        headline=_text(name, data, "headline"),
        dek=_text(name, data, "dek"),
        category=_text(name, data, "category"),
        sections=_sections(name, data["sections"]),
        tags=_tags(name, data["tags"]),
        language=article.language or "en",
        generator=SEED_GENERATOR,
        key_question=data["key_question"].strip(),
    )
    return Seed(article, draft, _moment(name, data, "created_at"))


def _check_keys(name: str, data: dict[str, Any]) -> None:
    for key in _REQUIRED:
        if key not in data:
            raise InvalidSeed(f"seed {name}: {key}: missing")
    for key, value in data.items():
        kind = _REQUIRED.get(key) or _OPTIONAL.get(key)
        if kind is None:
            raise InvalidSeed(f"seed {name}: {key}: unknown key")
        if not isinstance(value, kind):
            raise InvalidSeed(f"seed {name}: {key}: wrong type ({type(value).__name__})")


def _text(name: str, data: dict[str, Any], key: str) -> str:
    value = str(data[key]).strip()
    if not value:
        raise InvalidSeed(f"seed {name}: {key}: must not be empty")
    return value


def _url(name: str, url: str) -> str:
    try:
        return links.canonicalize(url)
    except PrismError as exc:
        raise InvalidSeed(f"seed {name}: url: {exc.message}") from exc


def _moment(name: str, data: dict[str, Any], key: str) -> datetime:
    value = data[key]
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidSeed(f"seed {name}: {key}: not an ISO 8601 date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _language(name: str, value: str) -> str:
    if not re.fullmatch(r"[a-z]{2,3}", value):
        raise InvalidSeed(f"seed {name}: language: {value!r} is not a language code")
    return value


def _tags(name: str, value: Iterable[object]) -> tuple[str, ...]:
    tags = tuple(str(t).strip() for t in value)
    if not all(tags):
        raise InvalidSeed(f"seed {name}: tags: empty tag")
    return tags


def _sections(name: str, value: list[Any]) -> tuple[Section, ...]:
    if not 3 <= len(value) <= 5:
        raise InvalidSeed(f"seed {name}: sections: want 3 to 5 sections, found {len(value)}")
    out = []
    for i, entry in enumerate(value, 1):
        where = f"seed {name}: sections[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"heading", "paragraphs"}:
            raise InvalidSeed(f"{where}: want exactly the keys heading and paragraphs")
        heading, paragraphs = entry["heading"], entry["paragraphs"]
        if not isinstance(heading, str) or not heading.strip():
            raise InvalidSeed(f"{where}: heading: must be a non-empty string")
        if not isinstance(paragraphs, list) or not paragraphs:
            raise InvalidSeed(f"{where}: paragraphs: must be a non-empty list")
        if not all(isinstance(p, str) and p.strip() for p in paragraphs):
            raise InvalidSeed(f"{where}: paragraphs: every paragraph must be non-empty text")
        out.append(Section(heading.strip(), tuple(p.strip() for p in paragraphs)))
    return tuple(out)
