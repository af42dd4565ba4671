"""Requests and generations, for budgets and `stats`."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.models import Generator, Usage
from bot.store.analyses import iso, utcnow
from bot.store.batching import RequestBatcher, RequestRow
from bot.store.contract import Generations, Totals
from bot.store.db import Database

__all__ = ["Totals", "UsageRepo"]


class UsageRepo:
    """Usage rows. Requests answered from the store are counted in memory and written
    in one transaction about once a second (bot/store/batching.py says why)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._requests = RequestBatcher(self._write_requests)

    def record_request(self, analysis_id: int, user: str, channel: str, detail: str) -> None:
        """Count one answered request (and the analysis's `requests`) soon, in a batch."""
        self._requests.add(analysis_id, user, channel, detail)

    async def flush(self) -> None:
        """Write every counted request now (on a timer, before reading totals, at close)."""
        await self._requests.flush()

    async def close(self) -> None:
        """Write what is counted and wait for flushes in flight."""
        await self._requests.close()

    async def _write_requests(self, batch: list[RequestRow]) -> None:
        per_analysis = Counter(row[3] for row in batch)
        async with self.db.write() as conn:
            await conn.executemany(
                "INSERT INTO usage(at, kind, user, channel, analysis_id, detail)"
                " VALUES (?, 'request', ?, ?, ?, ?)",
                [(iso(at), *rest) for at, *rest in batch],
            )
            await conn.executemany(
                "UPDATE analyses SET requests = requests + ? WHERE id = ?",
                [(n, ident) for ident, n in per_analysis.items()],
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
        """One usage row: a generation (with its model usage) or a failure."""
        u = generator.usage if generator else None
        await self.db.execute(
            """INSERT INTO usage(at, kind, user, channel, analysis_id, backend, model,
                                 input_tokens, output_tokens, cache_creation_tokens,
                                 cache_read_tokens, detail)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                iso(at or utcnow()),
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
        sql = "SELECT count(*), min(at) FROM usage WHERE kind = 'generation' AND at > ?"
        params: list[object] = [iso(since)]
        if user is not None:
            sql += " AND user = ?"
            params.append(user)
        count, first = await self.db.fetchone(sql, params)
        return Generations(count, datetime.fromisoformat(first) if first else None)

    async def totals(self) -> Totals:
        """Counts and token sums so far, pending requests included."""
        await self.flush()
        row = await self.db.fetchone(
            """SELECT
                 (SELECT count(*) FROM analyses),
                 (SELECT count(*) FROM usage WHERE kind = 'request'),
                 (SELECT count(*) FROM usage WHERE kind = 'generation'),
                 (SELECT count(*) FROM usage WHERE kind = 'failure'),
                 (SELECT count(*) FROM deliveries WHERE status = 'sent'),
                 (SELECT count(*) FROM deliveries WHERE status = 'failed'),
                 coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
                 coalesce(sum(cache_creation_tokens), 0), coalesce(sum(cache_read_tokens), 0)
               FROM usage WHERE kind = 'generation'"""
        )
        backends = await self.db.fetchall(
            "SELECT backend, count(*) FROM analyses GROUP BY backend ORDER BY backend"
        )
        counts = [int(v) for v in row]
        models = await self.db.fetchall(
            """SELECT coalesce(model, ''), sum(input_tokens), sum(output_tokens),
                      sum(cache_creation_tokens), sum(cache_read_tokens)
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
            by_backend={r[0]: int(r[1]) for r in backends},
            by_model={str(r[0]): Usage(int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in models},
        )
