"""Readers' Thoughts and the single-flight lock, as every backend must keep them."""

from __future__ import annotations

import asyncio

from bot.models import Thoughts
from bot.store import StoreContract
from tests.store_contract.samples import article, draft


async def test_a_reader_reaction_is_counted_once_and_changeable(backend: StoreContract) -> None:
    saved = await backend.analyses.save(article(), draft())
    assert await backend.thoughts.counts(saved.id) == Thoughts(0, 0)
    assert await backend.thoughts.react(saved.id, "web:a", "useful") == Thoughts(1, 0)
    assert await backend.thoughts.react(saved.id, "web:a", "inaccurate") == Thoughts(0, 1)
    await backend.thoughts.react(saved.id, "telegram:7", "inaccurate")
    assert await backend.thoughts.flagged(2) == [(saved.id, Thoughts(0, 2))]
    assert await backend.thoughts.flagged(3) == []
    await backend.analyses.forget(saved.id)
    assert await backend.thoughts.counts(saved.id) == Thoughts(0, 0)


async def test_the_generating_lock_is_held_by_one_holder_at_a_time(
    backend: StoreContract,
) -> None:
    order: list[str] = []
    url = "https://news.example/story-1"
    async with backend.locks.generating(url):
        waiter = asyncio.create_task(_hold(backend, url, order))
        async with backend.locks.generating("https://news.example/other"):
            order.append("other url")  # another URL is never kept waiting
        await asyncio.sleep(0.1)
        order.append("first released")
    await waiter
    assert order == ["other url", "first released", "second held"]


async def _hold(backend: StoreContract, url: str, order: list[str]) -> None:
    async with backend.locks.generating(url):
        order.append("second held")
