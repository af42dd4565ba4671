"""Related only when related: the relevance floor on the labelled evaluation set.

Prints precision@1 over sources that have mates, the share of mate-less sources
answered with nothing, and precision@3 (the ranking the floor must not cost).
Targets: precision@1 >= 0.95, mate-less empty >= 90%.

    .venv/bin/python bench/bench_related_floor.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import build_config
from bot.related import RelatedIndex
from bot.store import Store
from tests.test_related_eval import load_eval_set, mateless_empty, precision_at_1, precision_at_3


async def main() -> None:
    """Load the set into a fresh store and print the three figures."""
    with tempfile.TemporaryDirectory() as tmp:
        config = build_config({"storage": {"path": str(Path(tmp) / "eval.db")}}, {}, "bench")
        store = await Store.open(config.storage.path)
        try:
            data = await load_eval_set(store)
            index = RelatedIndex(store, config)
            p1 = await precision_at_1(index, data)
            empty = await mateless_empty(index, data)
            p3 = await precision_at_3(index, data)
        finally:
            await store.close()
    print(f"sources with mates: {len(data.related)}, without: {len(data.mateless)}")
    print(f"precision@1 with mates present: {p1:.3f} (target >= 0.95)")
    print(f"mate-less sources answered with nothing: {empty:.0%} (target >= 90%)")
    print(f"precision@3: {p3:.3f} (before the floor: 0.944)")


if __name__ == "__main__":
    asyncio.run(main())
