"""Story assignment for 10,000 items: time per item, memory, and clustering quality.

Targets: at most 5 ms per item (signature + assignment), memory bounded by the
index's window; precision >= 0.95 and recall >= 0.85 on the labelled set
(tests/fixtures/stories). The synthetic stream has events told three times each, in
overlapping but different words, spread over 30 days so the window slides.
Run: .venv/bin/python bench/bench_stories.py [--items N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tomllib
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.stories import StoryIndex, pairwise, signature

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic(items: int, seed: int = 5) -> list[tuple[str, str, str, datetime]]:
    """(key, event, title + text, published): three tellings per event."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"

    def token(length: int) -> str:
        return "".join(rng.choice(letters) for _ in range(length))

    vocab = [token(rng.randint(5, 9)) for _ in range(20_000)]
    people = [token(rng.randint(5, 8)).title() for _ in range(5_000)]
    out = []
    for event in range(items // 3 + 1):
        core = rng.sample(vocab, 40)
        cast = rng.sample(people, 4)
        figures = [str(rng.randint(2, 99_999)) for _ in range(3)]
        when = T0 + timedelta(minutes=event * 13)
        for telling in range(3):
            words = rng.sample(core, 28) + rng.sample(vocab, 30)
            rng.shuffle(words)
            text = " ".join([*words, *cast[:3], *figures[:2], cast[3 - telling % 2]])
            out.append((f"{event}-{telling}", str(event), text, when + timedelta(hours=telling)))
    return out[:items]


def labelled_quality() -> str:
    articles = tomllib.loads((ROOT / "tests/fixtures/stories/articles.toml").read_text())
    rows = sorted(articles["articles"], key=lambda a: a["published"])
    index = StoryIndex()
    assigned = {}
    for art in rows:
        sig = signature(art["title"], art["text"])
        assigned[str(art["id"])], _ = index.assign(
            art["id"], sig, datetime.fromisoformat(art["published"])
        )
    q = pairwise({str(a["id"]): a["event"] for a in rows}, assigned)
    return (
        f"labelled: precision={q.precision:.3f} recall={q.recall:.3f} "
        f"decoys_joined={len(q.joined_singletons)} (targets >= 0.95, >= 0.85, 0)"
    )


def run(items: list[tuple[str, str, str, datetime]]) -> tuple[StoryIndex, dict[str, int]]:
    index = StoryIndex()
    assigned = {}
    for n, (key, _, text, when) in enumerate(items):
        assigned[key], _ = index.assign(n, signature("", text), when)
    return index, assigned


def main(count: int) -> None:
    items = synthetic(count)
    started = time.perf_counter()
    index, assigned = run(items)
    per_item = (time.perf_counter() - started) / len(items) * 1000
    tracemalloc.start()
    run(items)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    q = pairwise({k: e for k, e, _, _ in items}, assigned)
    print(f"items={len(items)} per_item_ms={per_item:.2f} (target <= 5)")
    print(f"index_entries={len(index)} (window {index.window}) peak_traced_mb={peak / 1e6:.1f}")
    print(f"synthetic: precision={q.precision:.3f} recall={q.recall:.3f}")
    print(labelled_quality())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    main(parser.parse_args().items)
