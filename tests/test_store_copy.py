"""`prism-bot store copy --to URL`: a seeded SQLite store into PostgreSQL, read back
through the store contract; a target holding analyses is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.ingest.seeds import import_seeds
from bot.models import ChannelRef
from bot.store import Store
from bot.store.postgres.store import PgStore
from tests.store_contract.samples import article, draft
from tests.support.process import spawn_bot

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def _cli(*args: str) -> tuple[int, str, str]:
    proc = await spawn_bot(*args)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _seeded(config: Config) -> dict[str, object]:
    async with await Store.open(config.storage.path) as store:
        await import_seeds(store)
        await store.analyses.forget(1)  # a gap in the ids must survive the copy
        sub = await store.subscriptions.save(
            ChannelRef("telegram", "-100"), ("Economy",), "08:00", "UTC", NOW, restart=True
        )
        await store.deliveries.record(sub.id, "2026-11-20", NOW, "sent", NOW)
        await store.usage.record("failure", user="u1", detail="not-a-link")
        ids = [a.id for a in await store.analyses.recent(limit=100)]
        await store.thoughts.react(ids[0], "web:a", "useful")
        await store.vectors.save("m", [(ids[0], [0.6, 0.8])])
        await store.channels.set_language("telegram:-100", "de", NOW)
        return {"ids": ids, "totals": await store.usage.totals(), "sub": sub}


def _config_file(config: Config, tmp_path: Path) -> Path:
    path = tmp_path / "prism.toml"
    path.write_text(f'[storage]\npath = "{config.storage.path}"\n')
    return path


async def test_copy_moves_every_table_and_keeps_ids(
    config: Config, pg_url: str, tmp_path: Path
) -> None:
    before = await _seeded(config)
    code, out, err = await _cli(
        "store", "copy", "--to", pg_url, "--config", str(_config_file(config, tmp_path))
    )
    assert code == 0, err
    assert "analyses" in out and "copied" in out
    async with await PgStore.open(pg_url) as target:
        ids = [a.id for a in await target.analyses.recent(limit=100)]
        assert ids == before["ids"]
        assert await target.usage.totals() == before["totals"]
        assert await target.subscriptions.get(ChannelRef("telegram", "-100")) == before["sub"]
        assert (await target.thoughts.counts(ids[0])).useful == 1
        assert await target.vectors.count("m") == 1
        assert await target.channels.language("telegram:-100") == "de"
        found = await target.analyses.search("grain")
        assert found == await _search_sqlite(config, "grain")
        added = await target.analyses.save(article(99), draft())
        assert added.id == max(ids) + 1  # the identity sequence moved past the copy


async def _search_sqlite(config: Config, text: str) -> list[object]:
    async with await Store.open(config.storage.path) as store:
        return list(await store.analyses.search(text))


async def test_a_target_holding_analyses_is_refused(
    config: Config, pg_url: str, tmp_path: Path
) -> None:
    await _seeded(config)
    async with await PgStore.open(pg_url) as target:
        await target.analyses.save(article(1), draft())
    code, _, err = await _cli(
        "store", "copy", "--to", pg_url, "--config", str(_config_file(config, tmp_path))
    )
    assert code == 1
    assert err.strip() == (
        "prism-bot: store-not-empty: the target database already holds 1 analyses;"
        " copy needs an empty one"
    )


async def test_copy_needs_a_postgresql_url_and_a_source(config: Config, tmp_path: Path) -> None:
    file = str(_config_file(config, tmp_path))
    code, _, err = await _cli("store", "copy", "--to", "sqlite:///x.db", "--config", file)
    assert code != 0 and "--to must be a postgresql:// URL" in err
    code, _, err = await _cli(
        "store", "copy", "--to", "postgresql://x@127.0.0.1:1/db", "--config", file
    )
    assert code != 0 and "no SQLite store at" in err
