"""The full-text index as ranking sees it: terms, document frequencies, weighted match.

SQLite's FTS5 table `analyses_fts` (headline, tags, dek, body) holds one row per
analysis; `analyses_fts_vocab` counts each term's documents. Ranking (what to ask,
how to boost) lives in bot/related; this module only answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.store.contract import Brief
from bot.store.db import Database

TOKENIZER = "porter unicode61 remove_diacritics 2"  # the same as analyses_fts


class SqliteTokenizer:
    """SQLite's own porter/unicode61 tokenizer, in a private in-memory database.

    The query must use exactly the index's terms (porter stemming is not idempotent,
    so stems cannot be re-stemmed), and this is the one tokenizer that is sure to agree.
    """

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute(
            f"CREATE VIRTUAL TABLE t USING fts5(x, content = '', tokenize = '{TOKENIZER}')"
        )
        self.conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")

    def terms(self, texts: Sequence[str]) -> list[set[str]]:
        """The set of index terms in each text."""
        self.conn.execute("INSERT INTO t(t) VALUES ('delete-all')")
        self.conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(texts))
        found: list[set[str]] = [set() for _ in texts]
        for doc, term in self.conn.execute("SELECT doc, term FROM v"):
            found[doc].add(term)
        return found

    def close(self) -> None:
        """Release the in-memory database."""
        self.conn.close()


class TextIndex:
    """FTS5 over the stored analyses: the text-index half of the store contract."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._tokenizer: SqliteTokenizer | None = None

    async def terms(self, texts: Sequence[str]) -> list[set[str]]:
        """The index terms of each text, as the index's own tokenizer makes them."""
        tokenizer = self._tokenizer = self._tokenizer or SqliteTokenizer()
        return tokenizer.terms(texts)

    async def document_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """(term -> analyses holding it, for the terms the index knows; archive size).

        The size is the highest analysis id, which only grows: callers use it to tell
        when cached frequencies are stale. One statement, one hop to the database.
        """
        marks = ",".join("?" * len(terms))
        rows = await self.db.fetchall(
            "SELECT NULL, coalesce(max(id), 0) FROM analyses UNION ALL"
            f" SELECT term, doc FROM analyses_fts_vocab WHERE term IN ({marks})",
            terms,
        )
        total = int(rows[0][1])
        return {str(r[0]): int(r[1]) for r in rows[1:]}, total

    async def match(
        self,
        phrases: Sequence[str],
        column_weights: tuple[float, float, float, float],
        exclude_id: int,
        limit: int,
    ) -> dict[int, float]:
        """Analyses holding any phrase: id -> score (higher is better), best first.

        Weights are for headline, tags, dek, body. Every phrase is quoted, so no text
        becomes FTS5 syntax.
        """
        if not phrases:
            return {}
        expression = " OR ".join(_quote(p) for p in phrases)
        weights = ", ".join(str(w) for w in column_weights)
        rows = await self.db.fetchall(
            f"SELECT rowid, bm25(analyses_fts, {weights}) AS s FROM analyses_fts"
            " WHERE analyses_fts MATCH ? AND rowid != ? ORDER BY s LIMIT ?",
            (expression, exclude_id, limit),
        )
        return {int(r[0]): -float(r[1]) for r in rows}

    async def briefs(self, ids: Sequence[int]) -> list[Brief]:
        """What scoring needs of each analysis, without reading whole analyses."""
        if not ids:
            return []
        rows = await self.db.fetchall(
            "SELECT an.id, an.article_id, ar.canonical_url, an.headline, an.category, an.tags,"
            " an.created_at FROM analyses an JOIN articles ar ON ar.id = an.article_id"
            f" WHERE an.id IN ({','.join('?' * len(ids))})",
            ids,
        )
        return [
            Brief(
                int(r[0]),
                int(r[1]),
                r[2],
                r[3],
                r[4],
                tuple(json.loads(r[5])),
                datetime.fromisoformat(r[6]),
            )
            for r in rows
        ]

    def close(self) -> None:
        """Release the tokenizer's in-memory database, if one was opened."""
        if self._tokenizer is not None:
            self._tokenizer.close()
            self._tokenizer = None


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
