"""Articles, the URLs that led to them, their analyses and the full-text index."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.i18n import base_language
from bot.models import (
    Analysis,
    Article,
    Draft,
    sections_text,
)
from bot.store.db import Database
from bot.store.rows import Decode, analysis_from_row, article_from_row
from bot.text import reading_minutes

_SELECT = """
SELECT an.*, ar.canonical_url, ar.title AS article_title, ar.site, ar.published_at
FROM analyses an JOIN articles ar ON ar.id = an.article_id
"""


_WORD = re.compile(r"[^\W_]+")
MAX_SEARCH_WORDS = 16  # a longer query is cut, not refused


def utcnow() -> datetime:
    """Now, in UTC: the store's default clock."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Timestamps are stored as ISO 8601 UTC text, which sorts as time does."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class AnalysisRepo:
    """Articles, their URLs and analyses (SQLite), with the FTS rows kept in step."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def by_url(self, url: str, language: str | None = None) -> Analysis | None:
        """The analysis for a canonical URL, or for any URL that once led to it: the
        variant in `language` when given, else the article's first variant."""
        where = " AND an.language = ?" if language else ""
        row = await self.db.fetchmaybe(
            _SELECT + " WHERE (ar.canonical_url = ?"
            " OR ar.id = (SELECT article_id FROM article_urls WHERE url = ?))"
            + where
            + " ORDER BY an.id LIMIT 1",
            (url, url, *([base_language(language)] if language else [])),
        )
        return _analysis(row) if row else None

    async def variants(self, article_id: int) -> tuple[str, ...]:
        """The languages an article's analysis is stored in, oldest variant first."""
        rows = await self.db.fetchall(
            "SELECT language FROM analyses WHERE article_id = ? ORDER BY id", (article_id,)
        )
        return tuple(str(r[0]) for r in rows)

    async def by_id(self, analysis_id: int) -> Analysis | None:
        """One analysis by id."""
        row = await self.db.fetchmaybe(_SELECT + " WHERE an.id = ?", (analysis_id,))
        return _analysis(row) if row else None

    async def many(self, ids: list[int]) -> dict[int, Analysis]:
        """Several analyses by id (missing ids are left out)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(_SELECT + f" WHERE an.id IN ({marks})", ids)
        return {row["id"]: _analysis(row) for row in rows}

    async def article(self, article_id: int) -> Article | None:
        """The stored article (its extracted text), to re-analyse without fetching."""
        row = await self.db.fetchmaybe("SELECT * FROM articles WHERE id = ?", (article_id,))
        if row is None:
            return None
        first = await self.db.fetchmaybe(
            "SELECT url FROM article_urls WHERE article_id = ? LIMIT 1", (article_id,)
        )
        return article_from_row(row, first["url"] if first else None)

    async def save(
        self,
        article: Article,
        draft: Draft,
        urls: tuple[str, ...] = (),
        created_at: datetime | None = None,
    ) -> Analysis:
        """Store article, URLs, analysis and index rows in one transaction.

        An article that already has an analysis in the draft's language gets that
        variant replaced in place (same id), which is what `--refresh` means; another
        language is a new variant.
        """
        draft = replace(draft, language=base_language(draft.language))
        created = iso(created_at or utcnow())
        minutes = reading_minutes(f"{draft.dek}\n\n{sections_text(draft.sections)}")
        async with self.db.write() as conn:
            article_id = await _upsert_article(conn, article, created)
            for url in {article.url, article.canonical_url, *urls}:
                await conn.execute(
                    "INSERT OR IGNORE INTO article_urls(url, article_id) VALUES (?, ?)",
                    (url, article_id),
                )
            analysis_id = await _upsert_analysis(
                conn, article_id, article.url, draft, minutes, created
            )
            await conn.execute("DELETE FROM analyses_fts WHERE rowid = ?", (analysis_id,))
            await conn.execute(
                "INSERT INTO analyses_fts(rowid, headline, tags, dek, body) VALUES (?, ?, ?, ?, ?)",
                (
                    analysis_id,
                    draft.headline,
                    " ".join(draft.tags),
                    draft.dek,
                    sections_text(draft.sections),
                ),
            )
        saved = await self.by_id(analysis_id)
        assert saved is not None
        return saved

    async def add_url(self, article_id: int, url: str) -> None:
        """Remember another URL that led to a known article."""
        await self.db.execute(
            "INSERT OR IGNORE INTO article_urls(url, article_id) VALUES (?, ?)", (url, article_id)
        )

    async def forget(self, analysis_id: int) -> bool:
        """Remove an analysis, its article, every variant and its URLs (takedowns)."""
        async with self.db.write() as conn:
            cur = await conn.execute("SELECT article_id FROM analyses WHERE id = ?", (analysis_id,))
            row = await cur.fetchone()
            if row is None:
                return False
            await conn.execute(
                "DELETE FROM analyses_fts WHERE rowid IN"
                " (SELECT id FROM analyses WHERE article_id = ?)",
                (row[0],),
            )
            await conn.execute("DELETE FROM analyses WHERE article_id = ?", (row[0],))
            await conn.execute("DELETE FROM articles WHERE id = ?", (row[0],))
        return True

    async def count(self) -> int:
        """How many analyses are stored."""
        return int((await self.db.fetchone("SELECT count(*) FROM analyses"))[0])

    async def recent(self, limit: int = 20, category: str | None = None) -> list[Analysis]:
        """Newest first, optionally of one category."""
        where, params = (" WHERE an.category = ?", (category,)) if category else ("", ())
        rows = await self.db.fetchall(
            _SELECT + where + " ORDER BY an.created_at DESC, an.id DESC LIMIT ?",
            (*params, limit),
        )
        return [_analysis(r) for r in rows]

    async def category_counts(self) -> dict[str, int]:
        """How many articles each stored category holds (variants count once)."""
        rows = await self.db.fetchall(
            "SELECT category, count(DISTINCT article_id) FROM analyses GROUP BY category"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def search(self, text: str, limit: int = 20) -> list[Analysis]:
        """Full-text search: analyses holding every word of `text`, best first.

        Each word is quoted, so nothing a reader types becomes FTS5 syntax.
        """
        words = _WORD.findall(text)[:MAX_SEARCH_WORDS]
        if not words:
            return []
        expression = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = await self.db.fetchall(
            "SELECT rowid FROM analyses_fts WHERE analyses_fts MATCH ?"
            " ORDER BY bm25(analyses_fts, 8.0, 6.0, 3.0, 1.0) LIMIT ?",
            (expression, limit),
        )
        found = await self.many([int(r[0]) for r in rows])
        return [found[int(r[0])] for r in rows if int(r[0]) in found]

    async def created_between(
        self, categories: tuple[str, ...], since: datetime, until: datetime
    ) -> list[Analysis]:
        """Analyses in `categories` whose article was first analysed in (since, until],
        every variant, newest first (a later translation is not news again)."""
        if not categories:
            return []
        marks = ",".join("?" * len(categories))
        rows = await self.db.fetchall(
            _SELECT
            + f" WHERE an.category IN ({marks}) AND an.created_at > ? AND an.created_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM analyses older"
            " WHERE older.article_id = an.article_id AND older.created_at <= ?)"
            " ORDER BY an.created_at DESC, an.requests DESC, an.id DESC",
            (*categories, iso(since), iso(until), iso(since)),
        )
        return [_analysis(r) for r in rows]


async def _upsert_article(conn: aiosqlite.Connection, article: Article, fetched_at: str) -> int:
    cur = await conn.execute(
        """INSERT INTO articles(canonical_url, title, author, published_at, site, language,
                                text, words, fetched_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(canonical_url) DO UPDATE SET
             title = excluded.title, author = excluded.author,
             published_at = excluded.published_at, site = excluded.site,
             language = excluded.language, text = excluded.text, words = excluded.words,
             fetched_at = excluded.fetched_at
           RETURNING id""",
        (
            article.canonical_url,
            article.title,
            article.author,
            article.published_at,
            article.site,
            article.language,
            article.text,
            article.words,
            fetched_at,
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def _upsert_analysis(
    conn: aiosqlite.Connection,
    article_id: int,
    url: str,
    draft: Draft,
    minutes: int,
    created: str,
) -> int:
    usage = draft.generator.usage
    cur = await conn.execute(
        """INSERT INTO analyses(article_id, url, headline, dek, category, sections, tags,
                                key_question, flags, language, reading_minutes, backend, model,
                                prompt_version, input_tokens, output_tokens,
                                cache_creation_tokens, cache_read_tokens, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(article_id, language) DO UPDATE SET
             headline = excluded.headline, dek = excluded.dek, category = excluded.category,
             sections = excluded.sections, tags = excluded.tags,
             key_question = excluded.key_question, flags = excluded.flags,
             language = excluded.language, reading_minutes = excluded.reading_minutes,
             backend = excluded.backend, model = excluded.model,
             prompt_version = excluded.prompt_version, input_tokens = excluded.input_tokens,
             output_tokens = excluded.output_tokens,
             cache_creation_tokens = excluded.cache_creation_tokens,
             cache_read_tokens = excluded.cache_read_tokens
           RETURNING id""",
        (
            article_id,
            url,
            draft.headline,
            draft.dek,
            draft.category,
            json.dumps(
                [{"heading": s.heading, "paragraphs": list(s.paragraphs)} for s in draft.sections],
                ensure_ascii=False,
            ),
            json.dumps(list(draft.tags), ensure_ascii=False),
            draft.key_question,
            json.dumps(list(draft.flags), ensure_ascii=False),
            draft.language,
            minutes,
            draft.generator.backend,
            draft.generator.model,
            draft.generator.prompt_version,
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_creation_tokens,
            usage.cache_read_tokens,
            created,
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


DECODE = Decode(lists=json.loads, moment=datetime.fromisoformat)


def _analysis(row: Any) -> Analysis:
    return analysis_from_row(row, DECODE)
