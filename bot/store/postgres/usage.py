"""Requests and generations on PostgreSQL, batched as on SQLite (bot/store/usage.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from bot.models import Generator, Usage
from bot.store.batching import RequestBatcher, RequestRow
from bot.store.contract import Generations, Totals
from bot.store.postgres.db import PgDatabase


class PgUsageRepo:
    """The UsageRepo contract on PostgreSQL: answered requests are batched by the same
    RequestBatcher as on SQLite and written in one transaction."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self._requests = RequestBatcher(self._write_requests)

    def record_request(self, analysis_id: int, user: str, channel: str, detail: str) -> None:
        """Count one answered request (and the analysis's `requests`) soon, in a batch."""
        self._requests.add(analysis_id, user, channel, detail)

    async def flush(self) -> None:
        """Write every counted request now (on a timer, before reading totals, at close)."""
        await self._requests.flush()

    async def close(self) -> None:
        """Write what is still counted before the pool closes."""
        await self._requests.close()

    async def _write_requests(self, batch: list[RequestRow]) -> None:
        per_analysis = Counter(row[3] for row in batch)
        async with self.db.transaction() as conn, conn.cursor() as cur:
            await cur.executemany(
                'INSERT INTO usage(at, kind, "user", channel, analysis_id, detail)'
                " VALUES (%s, 'request', %s, %s, %s, %s)",
                batch,
            )
            await cur.executemany(
                "UPDATE analyses SET requests = requests + %s WHERE id = %s",
                [(n, ident) for ident, n in sorted(per_analysis.items())],
            )

    async def record(
        self,
        kind: str,
        *,
        user: str | None = None,
        channel: str | None = None,
        analysis_id: int | None = None,
        generator: Generator | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """One request, generation or failure row, written now (budgets read it at once)."""
        u = generator.usage if generator else None
        await self.db.execute(
            """INSERT INTO usage(at, kind, "user", channel, analysis_id, backend, model,
                                 input_tokens, output_tokens, cache_creation_tokens,
                                 cache_read_tokens, detail)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                (at or datetime.now(UTC)).replace(microsecond=0),
                kind,
                user,
                channel,
                analysis_id,
                generator.backend if generator else None,
                generator.model if generator else None,
                u.input_tokens if u else 0,
                u.output_tokens if u else 0,
                u.cache_creation_tokens if u else 0,
                u.cache_read_tokens if u else 0,
                detail,
            ),
        )

    async def generations_since(self, since: datetime, user: str | None = None) -> Generations:
        """Generations since `since` (for one user, or for everyone)."""
        sql = (
            "SELECT count(*) AS n, min(at) AS first FROM usage"
            " WHERE kind = 'generation' AND at > %s"
        )
        params: list[object] = [since.replace(microsecond=0)]
        if user is not None:  # its own statement, so the planner can use usage_user_at
            sql += ' AND "user" = %s'
            params.append(user)
        row = await self.db.fetchone(sql, params)
        return Generations(row["n"], row["first"])

    async def totals(self) -> Totals:
        """The figures `stats` reports, after writing what is still counted."""
        await self.flush()
        row = await self.db.fetchone(
            """SELECT
                 (SELECT count(*) FROM analyses) AS analyses,
                 (SELECT count(*) FROM usage WHERE kind = 'request') AS requests,
                 (SELECT count(*) FROM usage WHERE kind = 'generation') AS generations,
                 (SELECT count(*) FROM usage WHERE kind = 'failure') AS failures,
                 (SELECT count(*) FROM deliveries WHERE status = 'sent') AS sent,
                 (SELECT count(*) FROM deliveries WHERE status = 'failed') AS failed,
                 coalesce(sum(input_tokens), 0) AS input,
                 coalesce(sum(output_tokens), 0) AS output,
                 coalesce(sum(cache_creation_tokens), 0) AS cache_creation,
                 coalesce(sum(cache_read_tokens), 0) AS cache_read
               FROM usage WHERE kind = 'generation'"""
        )
        backends = await self.db.fetchall(
            "SELECT backend, count(*) AS n FROM analyses GROUP BY backend ORDER BY backend"
        )
        counts = [int(v) for v in row.values()]
        models = await self.db.fetchall(
            """SELECT coalesce(model, '') AS model, sum(input_tokens) AS i,
                      sum(output_tokens) AS o, sum(cache_creation_tokens) AS cw,
                      sum(cache_read_tokens) AS cr
               FROM usage WHERE kind = 'generation' GROUP BY 1 ORDER BY 1"""
        )
        return Totals(
            analyses=counts[0],
            requests=counts[1],
            generations=counts[2],
            failures=counts[3],
            deliveries_sent=counts[4],
            deliveries_failed=counts[5],
            input_tokens=counts[6],
            output_tokens=counts[7],
            cache_creation_tokens=counts[8],
            cache_read_tokens=counts[9],
            by_backend={str(r["backend"]): int(r["n"]) for r in backends},
            by_model={
                str(r["model"]): Usage(int(r["i"]), int(r["o"]), int(r["cw"]), int(r["cr"]))
                for r in models
            },
        )
