"""The labelled news corpus of tests/fixtures/corpus/: loader, pages and scorers.

Shared by the tests (on a small size) and the benchmarks (bench_extract.py,
bench_categories.py, bench_offline_quality.py), so both measure the same thing.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

from bot.analyzers.offline import OfflineAnalyzer
from bot.config import ExtractConfig
from bot.ingest.extract import Extractor
from bot.models import Article, Page

CORPUS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
PAGES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
BASE = "http://127.0.0.1:8000"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def entries() -> list[dict[str, Any]]:
    """Every page of pages.toml, in file order."""
    text = (CORPUS_DIR / "pages.toml").read_text(encoding="utf-8")
    pages: list[dict[str, Any]] = tomllib.loads(text)["pages"]
    return pages


def articles() -> list[dict[str, Any]]:
    """The pages that are articles (the refused ones left out)."""
    return [e for e in entries() if e.get("is_article", True)]


def page(entry: dict[str, Any]) -> Page:
    """The entry's HTML file as the fetcher would hand it over."""
    name = f"{entry['key']}.html"
    url = f"{BASE}/{name}"
    return Page(url, url, 200, "text/html", None, (CORPUS_DIR / name).read_bytes())


def gold(entry: dict[str, Any]) -> str:
    """The story text a reader would call the article (the extraction target)."""
    return "\n\n".join(entry["paragraphs"])


def token_f1(found: str, expected: str) -> float:
    """Token-level F1 of `found` against `expected` (bags of lower-cased words)."""
    got = Counter(t.lower() for t in _TOKEN.findall(found))
    want = Counter(t.lower() for t in _TOKEN.findall(expected))
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def labelled_articles() -> list[tuple[str, Article, str]]:
    """(name, extracted article, expected category) of every labelled article page:
    this corpus and the article pages of tests/fixtures/pages/."""
    extractor = Extractor(ExtractConfig())
    out = [(e["key"], extractor.extract_sync(page(e)), e["category"]) for e in articles()]
    manifest = tomllib.loads((PAGES_DIR / "manifest.toml").read_text(encoding="utf-8"))
    for entry in manifest["pages"]:
        if entry["is_article"]:
            url = f"{BASE}/{entry['file']}"
            body = (PAGES_DIR / entry["file"]).read_bytes()
            fixture = Page(url, url, 200, "text/html", entry.get("charset"), body)
            out.append((entry["file"], extractor.extract_sync(fixture), entry["category"]))
    extractor.close()
    return out


def category_accuracy(
    analyzer: OfflineAnalyzer, labelled: list[tuple[str, Article, str]]
) -> tuple[float, list[str]]:
    """Share of pages filed under their labelled category, and the misfiled ones."""
    wrong = []
    for name, article, expected in labelled:
        got = analyzer.analyze_sync(article).category
        if got != expected:
            wrong.append(f"{name}: {got} (want {expected})")
    return 1 - len(wrong) / len(labelled), wrong
