"""Category accuracy of the offline analyser on the labelled pages.

The labelled set: tests/fixtures/corpus/ (43 article pages whose section a reader
would judge, in five languages, naming their section in metadata, JSON-LD,
breadcrumbs, the URL or not at all) plus the article pages of tests/fixtures/pages/.
Prints the accuracy with the publisher's section read first (what the analyser does)
and with the keyword lexicon alone (what it did before). Target: >= 90%.

    .venv/bin/python bench/bench_categories.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analyzers.offline import OfflineAnalyzer
from bot.config import DEFAULT_CATEGORIES
from tests.support.corpus import category_accuracy, labelled_articles


def main() -> None:
    """Print both accuracies and the pages each gets wrong."""
    labelled = labelled_articles()
    analyzer = OfflineAnalyzer(DEFAULT_CATEGORIES)
    blind = [(n, dataclasses.replace(a, sections=()), c) for n, a, c in labelled]
    for label, pages in (("lexicon alone", blind), ("publisher first", labelled)):
        accuracy, wrong = category_accuracy(analyzer, pages)
        print(f"{label:>16}: {accuracy:.1%} right over {len(pages)} labelled pages")
        for line in wrong:
            print(f"{'':>18}{line}")
    print("target: publisher first >= 90%")


if __name__ == "__main__":
    main()
