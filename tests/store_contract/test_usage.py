"""Usage rows, budgets' counts and `stats` totals, as every backend must behave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Generator, Usage
from bot.store import StoreContract
from bot.store.contract import Generations
from tests.store_contract.samples import article, draft

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GEN = Generator("claude", "claude-x", "v1", Usage(10, 20, 30, 40))


async def test_generations_since_counts_per_user_and_overall(backend: StoreContract) -> None:
    for minutes, user in ((0, "ann"), (10, "bob"), (20, "ann")):
        await backend.usage.record("generation", user=user, at=T0 + timedelta(minutes=minutes))
    await backend.usage.record("failure", user="ann", at=T0 + timedelta(minutes=30))
    everyone = await backend.usage.generations_since(T0 - timedelta(seconds=1))
    assert everyone == Generations(3, T0)
    ann = await backend.usage.generations_since(T0, user="ann")
    assert ann == Generations(1, T0 + timedelta(minutes=20))  # strictly after `since`
    assert await backend.usage.generations_since(T0, user="cy") == Generations(0, None)


async def test_totals_count_requests_generations_and_tokens(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft())
    await backend.usage.record("generation", user="ann", analysis_id=saved.id, generator=GEN)
    await backend.usage.record("failure", user="bob", detail="timeout")
    backend.usage.record_request(saved.id, "ann", "console:local", "generated")
    backend.usage.record_request(saved.id, "bob", "console:local", "cached")
    totals = await backend.usage.totals()  # flushes the counted requests first
    assert (totals.analyses, totals.requests, totals.generations) == (1, 2, 1)
    assert totals.failures == 1
    assert (totals.input_tokens, totals.output_tokens) == (10, 20)
    assert (totals.cache_creation_tokens, totals.cache_read_tokens) == (30, 40)
    assert totals.by_backend == {"offline": 1}
    again = await backend.analyses.by_id(saved.id)
    assert again is not None and again.requests == 2


async def test_counted_requests_are_written_at_close(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft())
    backend.usage.record_request(saved.id, "ann", "console:local", "cached")
    await backend.usage.flush()
    await backend.usage.flush()  # nothing pending: no change
    assert (await backend.usage.totals()).requests == 1
