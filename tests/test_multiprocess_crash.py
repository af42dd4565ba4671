"""Three `python -m bot run --only scheduler` processes share one database (an SQLite
file, then PostgreSQL) and 300 subscribed chats on the local Bot API server; the one
sending is killed with SIGKILL in mid fan-out and restarted. Every chat gets its
digest; only a message in flight at the kill may arrive twice; no process ever asks for
updates.

Kept fast and bounded: a 0.2 s tick, a 5 s lease ([digest] lease_s; the ledger keeps
whole seconds, so shorter leases lapse under a loaded machine), 80 messages a second.
"""

from __future__ import annotations

import asyncio
import signal
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Config
from bot.store import StoreContract, open_store
from tests.support.fanout import due_now, telegram_chats
from tests.support.process import spawn_bot
from tests.support.telegram_server import BotApiServer, bot_api

__all__ = ["bot_api"]  # fixtures, used by name

pytestmark = pytest.mark.timeout(180)

CHATS = 300
GATE = 64  # sends one process has on the wire at most (DigestDelivery's concurrency)


def scheduler_config(tmp_path: Path, bot_api: BotApiServer, url: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\npath = "{tmp_path / "shared.db"}"\nurl = "{url}"\n'
        f'[telegram]\nbase_url = "{bot_api.base_url}"\n'
        "[digest]\ntick_s = 0.2\nlease_s = 5.0\ntelegram_rate = 80.0\n"
        "telegram_chat_per_minute = 60.0\n"
    )
    return config


class Fleet:
    """The scheduler processes, started and stopped as an operator would."""

    def __init__(self, config: Path, token: str) -> None:
        self.config, self.token = config, token
        self.procs: list[Process] = []

    async def start(self) -> Process:
        proc = await spawn_bot(
            "run", "--only", "scheduler", "--config", str(self.config),
            TELEGRAM_BOT_TOKEN=self.token,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    async def stop(self) -> list[bytes]:
        errors = []
        for proc in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
            errors.append(err)
        return errors


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """`[storage] url` of the shared database: empty for the SQLite file, else a fresh
    PostgreSQL schema (skipped, saying why, without a server)."""
    return "" if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def fleet(tmp_path: Path, bot_api: BotApiServer, database: str) -> AsyncIterator[Fleet]:
    fleet = Fleet(scheduler_config(tmp_path, bot_api, database), bot_api.token)
    yield fleet
    for proc in fleet.procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def sending_pid(store: StoreContract) -> int:
    """A process holding pending claims (`host:pid:tail` in the ledger): one in mid send."""
    rows = await store.db.fetchall(  # type: ignore[attr-defined]  # both backends have db
        "SELECT DISTINCT claimed_by FROM deliveries WHERE status = 'pending'"
        " AND claimed_by IS NOT NULL"
    )
    owners = sorted(int(str(r["claimed_by"]).split(":")[1]) for r in rows)
    assert owners, "no process holds a claim: the fan-out ended before the kill"
    return owners[0]


async def settled(store: StoreContract, within: float = 30.0) -> dict[str, int]:
    """The ledger's counts once no row is pending (the last `sent` lands after the send)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for _ in range(int(within / 0.05)):
        counts = await store.deliveries.counts()
        if not counts.get("pending") or loop.time() > deadline:
            break
        await asyncio.sleep(0.05)
    return counts


async def test_a_scheduler_killed_mid_fan_out_loses_nothing_and_repeats_only_in_flight(
    tmp_path: Path, bot_api: BotApiServer, fleet: Fleet, database: str
) -> None:
    chats = telegram_chats(CHATS)
    storage = {"path": str(tmp_path / "shared.db"), "url": database}
    store = await open_store(Config().with_overrides(storage=storage))
    try:
        await due_now(store, chats, datetime.now(UTC))
        for _ in range(3):
            await fleet.start()
        await bot_api.wait_for(lambda: len(bot_api.sent) >= CHATS // 5, within=60)
        victim = await sending_pid(store)
        [proc] = [p for p in fleet.procs if p.pid == victim]
        proc.kill()  # SIGKILL: no clean stop, its claims stay leased
        await proc.wait()
        await asyncio.sleep(0.2)  # the server (this loop) takes what was on the wire
        at_kill = len(bot_api.sent)
        recorded = (await store.deliveries.counts()).get("sent", 0)
        in_flight = at_kill - recorded  # accepted by the platform, not yet in the ledger
        await fleet.start()  # the restart
        await bot_api.wait_for(lambda: len({m["chat"]["id"] for m in bot_api.sent}) == CHATS, 60)
        counts = await settled(store)
    finally:
        errors = await fleet.stop()
        await store.close()
    per_chat = Counter(m["chat"]["id"] for m in bot_api.sent)
    assert at_kill < CHATS  # it really died in mid fan-out
    assert set(per_chat) == {int(c.id) for c in chats}  # every chat got its digest
    assert 0 <= in_flight <= GATE
    assert sum(n - 1 for n in per_chat.values()) <= in_flight
    assert max(per_chat.values()) <= 2
    assert counts == {"sent": CHATS}
    assert not bot_api.calls_to("getUpdates") and not bot_api.calls_to("setWebhook")
    assert proc.returncode == -signal.SIGKILL
    survivors = [p for p in fleet.procs if p is not proc]
    assert [p.returncode for p in survivors] == [0, 0, 0], errors
    assert all(bot_api.token.split(":")[1].encode() not in err for err in errors)
