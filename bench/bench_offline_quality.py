"""Does the offline analysis read like an editor's extract? Counts over fixture pages.

Over every article page of tests/fixtures/pages/ and tests/fixtures/corpus/, prints
the paragraphs that open on an orphan reference (a pronoun or "this/such" opening, a
quote attributed to "he said"), the headings that are not true of their section, and
sentences repeated across sections (tests/support/quality.py says what each means).
Target: 0, 0 and 0.

    .venv/bin/python bench/bench_offline_quality.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analyzers.offline import OfflineAnalyzer
from bot.config import DEFAULT_CATEGORIES
from bot.models import Draft
from tests.support.corpus import labelled_articles
from tests.support.quality import orphan_openings, unfit_headings


def repeats(draft: Draft) -> int:
    """Paragraphs that appear twice in the analysis (the dek included)."""
    counts = Counter([draft.dek, *(p for s in draft.sections for p in s.paragraphs)])
    return sum(n - 1 for n in counts.values())


def main() -> None:
    """Analyse every page and print the three counts, with the offending lines."""
    analyzer = OfflineAnalyzer(DEFAULT_CATEGORIES)
    pages = labelled_articles()
    orphans: list[str] = []
    unfit: list[str] = []
    repeated = 0
    for name, article, _ in pages:
        draft = analyzer.analyze_sync(article)
        orphans += [f"{name}: {o[:70]}" for o in orphan_openings(draft)]
        unfit += [f"{name}: {h}" for h in unfit_headings(draft)]
        repeated += repeats(draft)
    print(f"offline analyses of {len(pages)} fixture pages")
    print(f"orphan-reference paragraph openings: {len(orphans)} (target 0)")
    for line in orphans:
        print(f"    {line}")
    print(f"headings that do not fit their section: {len(unfit)} (target 0)")
    for line in unfit:
        print(f"    {line}")
    print(f"paragraphs repeated across sections: {repeated} (target 0)")


if __name__ == "__main__":
    main()
