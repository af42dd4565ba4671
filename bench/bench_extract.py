"""Extraction F1: our extractor against plain trafilatura, in the same run.

Token-level F1 of each page's extracted text against its gold text, over the
article pages of tests/fixtures/corpus/ (real-news-shaped pages, many of them
briefs under 150 words). A page our extractor refuses scores 0 for it; plain
trafilatura is called as a library user would (trafilatura.extract, defaults).
Target: ours >= trafilatura's.

    .venv/bin/python bench/bench_extract.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura

from bot.config import ExtractConfig
from bot.errors import NotAnArticle
from bot.ingest.extract import Extractor, decode_html
from tests.support.corpus import articles, gold, page, token_f1


def main() -> None:
    """Print mean F1 of both extractors and the pages where they differ most."""
    extractor = Extractor(ExtractConfig())
    ours: list[float] = []
    plain: list[float] = []
    refused = 0
    for entry in articles():
        fixture = page(entry)
        try:
            text = extractor.extract_sync(fixture).text
        except NotAnArticle:
            text, refused = "", refused + 1
        theirs = trafilatura.extract(decode_html(fixture.body), url=fixture.url) or ""
        ours.append(token_f1(text, gold(entry)))
        plain.append(token_f1(theirs, gold(entry)))
    extractor.close()
    print(f"extraction F1 over {len(ours)} article pages (token level, against gold text)")
    print(f"ours:        mean {statistics.mean(ours):.3f}  refused {refused}")
    print(f"trafilatura: mean {statistics.mean(plain):.3f}")
    verdict = "met" if statistics.mean(ours) >= statistics.mean(plain) else "NOT met"
    print(f"target: ours >= trafilatura's -> {verdict}")


if __name__ == "__main__":
    main()
