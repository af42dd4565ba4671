"""Articles, their URLs and analyses on PostgreSQL, with a tsvector for search."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from bot.i18n import base_language
from bot.models import (
    Analysis,
    Article,
    Draft,
    sections_text,
)
from bot.store.postgres.db import Conn, PgDatabase
from bot.store.rows import Decode, analysis_from_row, article_from_row
from bot.text import reading_minutes

_SELECT = """
SELECT an.id, an.article_id, an.url, an.headline, an.dek, an.category, an.sections,
       an.tags, an.key_question, an.flags, an.language, an.reading_minutes, an.backend,
       an.model, an.prompt_version, an.input_tokens, an.output_tokens,
       an.cache_creation_tokens, an.cache_read_tokens, an.requests, an.created_at,
       ar.canonical_url, ar.title AS article_title, ar.site, ar.published_at
FROM analyses an JOIN articles ar ON ar.id = an.article_id
"""

_WORD = re.compile(r"[^\W_]+")
MAX_SEARCH_WORDS = 16  # as on SQLite: a longer query is cut, not refused
# The text-search configuration: English stemming for every language, as SQLite's
# porter tokenizer does (per-language configs come with related-ranking parity).
TS_CONFIG = "english"
# ts_rank_cd weights for D (body), C (dek), B (tags), A (headline): the proportions of
# SQLite's bm25 column weights 1, 3, 6, 8.
RANK_WEIGHTS = "{0.125, 0.375, 0.75, 1.0}"
# The weighted search document of one analysis (named parameters headline, tag_text,
# dek, body): written on save, and by `store copy`.
SEARCH_DOCUMENT = (
    f"setweight(to_tsvector('{TS_CONFIG}', %(headline)s), 'A')"
    f" || setweight(to_tsvector('{TS_CONFIG}', %(tag_text)s), 'B')"
    f" || setweight(to_tsvector('{TS_CONFIG}', %(dek)s), 'C')"
    f" || setweight(to_tsvector('{TS_CONFIG}', %(body)s), 'D')"
)


class PgAnalysisRepo:
    """The AnalysisRepo contract on PostgreSQL: same methods, same answers."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def by_url(self, url: str, language: str | None = None) -> Analysis | None:
        """The analysis for a canonical URL, or for any URL that once led to it: the
        variant in `language` when given, else the article's first variant."""
        code = base_language(language) if language else None
        row = await self.db.fetchmaybe(
            _SELECT + " WHERE (ar.canonical_url = %s"
            " OR ar.id = (SELECT article_id FROM article_urls WHERE url = %s))"
            " AND (%s::text IS NULL OR an.language = %s) ORDER BY an.id LIMIT 1",
            (url, url, code, code),
        )
        return _analysis(row) if row else None

    async def variants(self, article_id: int) -> tuple[str, ...]:
        """The languages an article's analysis is stored in, oldest variant first."""
        rows = await self.db.fetchall(
            "SELECT language FROM analyses WHERE article_id = %s ORDER BY id", (article_id,)
        )
        return tuple(str(r["language"]) for r in rows)

    async def by_id(self, analysis_id: int) -> Analysis | None:
        """One analysis by id (links and the web name analyses by id)."""
        row = await self.db.fetchmaybe(_SELECT + " WHERE an.id = %s", (analysis_id,))
        return _analysis(row) if row else None

    async def many(self, ids: list[int]) -> dict[int, Analysis]:
        """Several analyses by id in one query; ids not found are left out."""
        if not ids:
            return {}
        rows = await self.db.fetchall(_SELECT + " WHERE an.id = ANY(%s)", (list(ids),))
        return {int(row["id"]): _analysis(row) for row in rows}

    async def article(self, article_id: int) -> Article | None:
        """The stored article text, for `--refresh` without fetching again."""
        row = await self.db.fetchmaybe("SELECT * FROM articles WHERE id = %s", (article_id,))
        if row is None:
            return None
        first = await self.db.fetchmaybe(
            "SELECT url FROM article_urls WHERE article_id = %s LIMIT 1", (article_id,)
        )
        return article_from_row(row, first["url"] if first else None)

    async def save(
        self,
        article: Article,
        draft: Draft,
        urls: tuple[str, ...] = (),
        created_at: datetime | None = None,
    ) -> Analysis:
        """Store article, URLs and analysis (with its search document) in one transaction.

        An article that already has an analysis in the draft's language gets that
        variant replaced in place (same id); another language is a new variant.
        """
        draft = replace(draft, language=base_language(draft.language))
        created = created_at or datetime.now().astimezone()
        minutes = reading_minutes(f"{draft.dek}\n\n{sections_text(draft.sections)}")
        async with self.db.transaction() as conn:
            article_id = await _upsert_article(conn, article, created)
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO article_urls(url, article_id) VALUES (%s, %s)"
                    " ON CONFLICT (url) DO NOTHING",
                    [(u, article_id) for u in sorted({article.url, article.canonical_url, *urls})],
                )
            analysis_id = await _upsert_analysis(
                conn, article_id, article.url, draft, minutes, created
            )
        saved = await self.by_id(analysis_id)
        assert saved is not None
        return saved

    async def add_url(self, article_id: int, url: str) -> None:
        """Remember another URL that led to a known article."""
        await self.db.execute(
            "INSERT INTO article_urls(url, article_id) VALUES (%s, %s)"
            " ON CONFLICT (url) DO NOTHING",
            (url, article_id),
            repeatable=True,
        )

    async def forget(self, analysis_id: int) -> bool:
        """Remove an analysis, its article and its URLs (takedown requests)."""
        # not through fetchmaybe: a read is retried after a lost connection, and a
        # repeated delete would answer "there was none" for one that happened
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM articles WHERE id = (SELECT article_id FROM analyses WHERE id = %s)"
                " RETURNING id",
                (analysis_id,),
            )
            row = await cur.fetchone()
        return row is not None  # the analysis and URLs go with the article (cascade)

    async def count(self) -> int:
        """How many analyses are stored (stats, doctor)."""
        return int((await self.db.fetchone("SELECT count(*) AS n FROM analyses"))["n"])

    async def recent(self, limit: int = 20, category: str | None = None) -> list[Analysis]:
        """Newest first, optionally of one category."""
        rows = await self.db.fetchall(
            _SELECT + " WHERE (%s::text IS NULL OR an.category = %s)"
            " ORDER BY an.created_at DESC, an.id DESC LIMIT %s",
            (category, category, limit),
        )
        return [_analysis(r) for r in rows]

    async def category_counts(self) -> dict[str, int]:
        """How many articles each stored category holds (variants count once)."""
        rows = await self.db.fetchall(
            "SELECT category, count(DISTINCT article_id) AS n FROM analyses GROUP BY category"
        )
        return {str(r["category"]): int(r["n"]) for r in rows}

    async def search(self, text: str, limit: int = 20) -> list[Analysis]:
        """Full-text search: analyses holding every word of `text`, best first.

        Only the words are passed on (plainto_tsquery), so nothing typed becomes syntax.
        """
        words = _WORD.findall(text)[:MAX_SEARCH_WORDS]
        if not words:
            return []
        rows = await self.db.fetchall(
            f"""SELECT an.id FROM analyses an, plainto_tsquery('{TS_CONFIG}', %s) q
                WHERE an.search @@ q
                ORDER BY ts_rank_cd('{RANK_WEIGHTS}', an.search, q) DESC, an.id LIMIT %s""",
            (" ".join(words), limit),
        )
        ids = [int(r["id"]) for r in rows]
        found = await self.many(ids)
        return [found[i] for i in ids if i in found]

    async def created_between(
        self, categories: tuple[str, ...], since: datetime, until: datetime
    ) -> list[Analysis]:
        """Analyses in `categories` whose article was first analysed in (since, until],
        every variant, newest first (a later translation is not news again)."""
        if not categories:
            return []
        rows = await self.db.fetchall(
            _SELECT + " WHERE an.category = ANY(%s) AND an.created_at > %s"
            " AND an.created_at <= %s AND NOT EXISTS (SELECT 1 FROM analyses older"
            " WHERE older.article_id = an.article_id AND older.created_at <= %s)"
            " ORDER BY an.created_at DESC, an.requests DESC, an.id DESC",
            (list(categories), _second(since), _second(until), _second(since)),
        )
        return [_analysis(r) for r in rows]


def _second(moment: datetime) -> datetime:
    """Whole seconds, as SQLite's ISO text keeps them (so both compare alike)."""
    return moment.replace(microsecond=0)


async def _upsert_article(conn: Conn, article: Article, fetched_at: datetime) -> int:
    cur = await conn.execute(
        """INSERT INTO articles(canonical_url, title, author, published_at, site, language,
                                text, words, fetched_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (canonical_url) DO UPDATE SET
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
            _second(fetched_at),
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def _upsert_analysis(
    conn: Conn, article_id: int, url: str, draft: Draft, minutes: int, created: datetime
) -> int:
    usage = draft.generator.usage
    values: dict[str, Any] = {
        "article_id": article_id,
        "url": url,
        "headline": draft.headline,
        "dek": draft.dek,
        "category": draft.category,
        "sections": Jsonb(
            [{"heading": s.heading, "paragraphs": list(s.paragraphs)} for s in draft.sections]
        ),
        "tags": Jsonb(list(draft.tags)),
        "key_question": draft.key_question,
        "flags": Jsonb(list(draft.flags)),
        "language": draft.language,
        "reading_minutes": minutes,
        "backend": draft.generator.backend,
        "model": draft.generator.model,
        "prompt_version": draft.generator.prompt_version,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_tokens": usage.cache_creation_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "created_at": _second(created),
        "tag_text": " ".join(draft.tags),
        "body": sections_text(draft.sections),
    }
    columns = [k for k in values if k not in ("tag_text", "body")]
    updated = [c for c in columns if c not in ("article_id", "url", "created_at")]
    cur = await conn.execute(
        f"""INSERT INTO analyses({", ".join(columns)}, search)
            VALUES ({", ".join(f"%({c})s" for c in columns)}, {SEARCH_DOCUMENT})
            ON CONFLICT (article_id, language) DO UPDATE SET
              {", ".join(f"{c} = excluded.{c}" for c in updated)}, search = excluded.search
            RETURNING id""",
        values,
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


def _as_datetime(value: Any) -> datetime:
    """timestamptz arrives as a datetime already."""
    assert isinstance(value, datetime), value
    return value


DECODE = Decode(lists=list, moment=_as_datetime)


def _analysis(row: Any) -> Analysis:
    return analysis_from_row(row, DECODE)
