"""The full-text index on PostgreSQL: the `search` tsvector of each analysis, its terms
by PostgreSQL's own parser and stemmer, frequencies from `term_docs` (migration 002)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store.contract import Brief
from bot.store.postgres.analyses import TS_CONFIG
from bot.store.postgres.db import PgDatabase

# ts_rank_cd length normalisation: divide by 1 + log(document length), as bm25 favours
# a short document that holds a term over a long one that mentions it once.
RANK_NORMALIZATION = 1


class PgTextIndex:
    """The text-index half of the store contract, on tsvector and ts_rank_cd."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def terms(self, texts: Sequence[str]) -> list[set[str]]:
        """The lexemes to_tsvector makes of each text (one round trip for all)."""
        found: list[set[str]] = [set() for _ in texts]
        if not texts:
            return found
        rows = await self.db.fetchall(
            f"SELECT x.n, unnest(tsvector_to_array(to_tsvector('{TS_CONFIG}', x.t))) AS term"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS x(t, n)",
            (list(texts),),
        )
        for row in rows:
            found[int(row["n"]) - 1].add(str(row["term"]))
        return found

    async def document_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """(term -> analyses holding it, for known terms; the highest analysis id)."""
        rows = await self.db.fetchall(
            "SELECT NULL AS term, coalesce(max(id), 0) AS n FROM analyses UNION ALL"
            " SELECT term, docs FROM term_docs WHERE term = ANY(%s) AND docs > 0",
            (list(terms),),
        )
        total = int(rows[0]["n"])
        return {str(r["term"]): int(r["n"]) for r in rows[1:]}, total

    async def match(
        self,
        phrases: Sequence[str],
        column_weights: tuple[float, float, float, float],
        exclude_id: int,
        limit: int,
    ) -> dict[int, float]:
        """Analyses holding any phrase: id -> ts_rank_cd (higher is better), best first.

        Weights are for headline (A), tags (B), dek (C), body (D). Each phrase goes
        through phraseto_tsquery as a parameter, so no text becomes query syntax.
        """
        if not phrases:
            return {}
        query = " || ".join(f"phraseto_tsquery('{TS_CONFIG}', %s)" for _ in phrases)
        top = max(column_weights) or 1.0
        head, tags, dek, body = (w / top for w in column_weights)
        rows = await self.db.fetchall(
            f"""SELECT an.id, ts_rank_cd(%s::float4[], an.search, q, {RANK_NORMALIZATION}) AS s
                FROM analyses an, ({"SELECT " + query}) AS found(q)
                WHERE an.search @@ q AND an.id <> %s
                ORDER BY s DESC, an.id LIMIT %s""",
            ([body, dek, tags, head], *phrases, exclude_id, limit),
        )
        return {int(r["id"]): float(r["s"]) for r in rows}

    async def briefs(self, ids: Sequence[int]) -> list[Brief]:
        """What scoring needs of each analysis, without reading whole analyses."""
        if not ids:
            return []
        rows = await self.db.fetchall(
            "SELECT an.id, an.article_id, ar.canonical_url, an.headline, an.category, an.tags,"
            " an.created_at FROM analyses an JOIN articles ar ON ar.id = an.article_id"
            " WHERE an.id = ANY(%s)",
            (list(ids),),
        )
        return [
            Brief(
                int(r["id"]),
                int(r["article_id"]),
                r["canonical_url"],
                r["headline"],
                r["category"],
                tuple(r["tags"]),
                r["created_at"],
            )
            for r in rows
        ]
