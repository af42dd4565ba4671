"""Offline analysis time over the fixture pages (fetch excluded; extraction timed apart).

    .venv/bin/python bench/bench_offline.py [--rounds N]

Prints median / p95 / max per page for extraction and for analysis. Target: median
analysis time at most 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.analyzers.offline import OfflineAnalyzer  # noqa: E402
from bot.config import DEFAULT_CATEGORIES, ExtractConfig  # noqa: E402
from bot.errors import NotAnArticle  # noqa: E402
from bot.ingest.extract import Extractor  # noqa: E402
from bot.models import Article, Page  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "pages"


def load_pages() -> list[Page]:
    manifest = tomllib.loads((PAGES / "manifest.toml").read_text(encoding="utf-8"))["pages"]
    out = []
    for entry in manifest:
        url = f"http://127.0.0.1:8000/{entry['file']}"
        body = (PAGES / entry["file"]).read_bytes()
        out.append(Page(url, url, 200, "text/html", entry.get("charset"), body))
    return out


def figures(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{label:<10} n={len(ordered):<4} median={statistics.median(ordered):6.1f} ms"
        f"  p95={p95:6.1f} ms  max={ordered[-1]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    extractor = Extractor(ExtractConfig(), executor=None)
    analyzer = OfflineAnalyzer(DEFAULT_CATEGORIES)
    articles: list[Article] = []
    extract_ms: list[float] = []
    for page in load_pages():
        for _ in range(args.rounds):
            started = time.perf_counter()
            try:
                article = extractor.extract_sync(page)
            except NotAnArticle:
                article = None
            extract_ms.append((time.perf_counter() - started) * 1000)
        if article is not None:
            articles.append(article)
    extractor.close()
    analyze_ms: list[float] = []
    for article in articles:
        for _ in range(args.rounds):
            started = time.perf_counter()
            analyzer.analyze_sync(article)
            analyze_ms.append((time.perf_counter() - started) * 1000)
    print(f"offline analysis over {len(articles)} fixture articles, {args.rounds} rounds each")
    print(figures("extract", extract_ms))
    print(figures("analyze", analyze_ms))
    median = statistics.median(analyze_ms)
    print(f"target: median analysis <= 50 ms -> {'met' if median <= 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
