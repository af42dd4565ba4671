"""Related only when related: the relevance floor on the labelled evaluation set, on
SQLite and (with --url) on PostgreSQL in the same run.

Prints precision@1 over sources that have mates, the share of mate-less sources
answered with nothing, and precision@3 (the ranking the floor must not cost).
Targets: precision@1 >= 0.95, mate-less empty >= 90%; PostgreSQL within 0.05 of SQLite.

    .venv/bin/python bench/bench_related_floor.py [--url postgresql://…/test]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Config, build_config
from bot.related import RelatedIndex
from bot.store import open_store
from tests.test_related_eval import load_eval_set, mateless_empty, precision_at_1, precision_at_3


async def figures(name: str, config: Config) -> None:
    """Load the set into a fresh store of one backend and print the three figures."""
    store = await open_store(config)
    try:
        data = await load_eval_set(store)
        index = RelatedIndex(store, config)
        p1 = await precision_at_1(index, data)
        empty = await mateless_empty(index, data)
        p3 = await precision_at_3(index, data)
    finally:
        await store.close()
    print(f"{name}: sources with mates: {len(data.related)}, without: {len(data.mateless)}")
    print(f"{name}: precision@1 with mates present: {p1:.3f} (target >= 0.95)")
    print(f"{name}: mate-less sources answered with nothing: {empty:.0%} (target >= 90%)")
    print(f"{name}: precision@3: {p3:.3f} (before the floor: 0.944)")


async def main(url: str) -> None:
    """SQLite, then PostgreSQL in a throwaway schema when a URL is given."""
    with tempfile.TemporaryDirectory() as tmp:
        config = build_config({"storage": {"path": str(Path(tmp) / "eval.db")}}, {}, "bench")
        await figures("sqlite", config)
    if not url:
        return
    import psycopg

    schema = f"prism_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        pg_url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        await figures("postgresql", config.with_overrides(storage={"url": pg_url}))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="a PostgreSQL database to compare with")
    asyncio.run(main(parser.parse_args().url))
