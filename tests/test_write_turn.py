"""The SQLite connection's write turn: urgent writes (a block of send slots) go ahead of
queued ones, and a waiter that gives up never keeps the turn from the others."""

from __future__ import annotations

import asyncio

from bot.store.db import WriteTurn


async def _write(turn: WriteTurn, order: list[str], name: str, urgent: bool = False) -> None:
    async with turn.hold(urgent):
        order.append(name)
        await asyncio.sleep(0)  # a statement's round trip: others must wait meanwhile


async def test_an_urgent_write_goes_before_the_queued_ones() -> None:
    turn, order = WriteTurn(), list[str]()
    async with turn.hold():
        tasks = [
            asyncio.create_task(_write(turn, order, "ledger-1")),
            asyncio.create_task(_write(turn, order, "ledger-2")),
            asyncio.create_task(_write(turn, order, "slots", urgent=True)),
        ]
        await asyncio.sleep(0)  # all three queued behind the holder
        order.append("holder")
    await asyncio.gather(*tasks)
    assert order == ["holder", "slots", "ledger-1", "ledger-2"]


async def test_writes_of_one_kind_keep_their_order_and_never_overlap() -> None:
    turn, order = WriteTurn(), list[str]()
    inside = 0

    async def write(name: str) -> None:
        nonlocal inside
        async with turn.hold():
            inside += 1
            assert inside == 1
            await asyncio.sleep(0)
            order.append(name)
            inside -= 1

    await asyncio.gather(*(write(str(n)) for n in range(20)))
    assert order == [str(n) for n in range(20)]


async def test_a_cancelled_waiter_leaves_the_queue() -> None:
    turn, order = WriteTurn(), list[str]()
    async with turn.hold():
        gone = asyncio.create_task(_write(turn, order, "gone"))
        kept = asyncio.create_task(_write(turn, order, "kept"))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
    await kept
    assert gone.cancelled()
    assert order == ["kept"]


async def test_a_waiter_cancelled_as_the_turn_reaches_it_passes_the_turn_on() -> None:
    turn, order = WriteTurn(), list[str]()
    holder = turn.hold()
    await holder.__aenter__()
    handed = asyncio.create_task(_write(turn, order, "handed"))
    kept = asyncio.create_task(_write(turn, order, "kept"))
    await asyncio.sleep(0)
    await holder.__aexit__(None, None, None)  # the turn goes to `handed`
    handed.cancel()  # before it could run
    await asyncio.gather(handed, kept, return_exceptions=True)
    assert handed.cancelled()
    assert order == ["kept"]
    async with turn.hold():  # and the turn is free again afterwards
        order.append("after")
    assert order == ["kept", "after"]
