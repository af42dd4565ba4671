"""Tokens and cost per Claude analysis, through the local Messages API server.

For the fixture pages (extracted as the bot would), prints: the fixed prefix (system
prompt + schema) against the model's minimum cacheable length; article tokens before
and after the budget cut; input, output, cache-write and cache-read tokens per call;
and the estimated cost per 1,000 analyses from the price table, with and without the
prompt cache (the cached figure must be lower) and in batch mode.

The local server stands in for the model: it counts about four characters a token and
answers with an analysis made of the article's own sentences, so output tokens are
indicative only (a real analysis of 350-600 words is about 600-900 tokens).

Run: .venv/bin/python bench/bench_tokens.py [--model M] [--budget 6000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tomllib
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.analyzers.claude import ClaudeAnalyzer, cut_to_tokens, estimate_tokens
from bot.analyzers.pricing import estimate_cost, min_cacheable_tokens
from bot.config import Config
from bot.errors import PrismError
from bot.models import Article, Page, Usage
from tests.support.anthropic_server import API_KEY, echo, serve

PAGES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"


def fixture_articles(config: Config) -> list[Article]:
    """The fixture pages that are articles, extracted like the bot does (or plain text)."""
    manifest = tomllib.loads((PAGES / "manifest.toml").read_text(encoding="utf-8"))
    try:
        from bot.ingest.extract import Extractor
    except ImportError:  # before the extractor exists: the raw text will do
        Extractor = None  # type: ignore[assignment,misc]
    extractor = Extractor(config.extract) if Extractor is not None else None
    articles = []
    for entry in manifest["pages"]:
        if entry.get("is_article", True) is False:
            continue
        url = f"https://fixtures.example/{entry['file']}"
        body = (PAGES / entry["file"]).read_bytes()
        if extractor is None:
            text = body.decode(entry.get("charset", "utf-8"), "replace")
            articles.append(Article(url, url, entry["title"], text, len(text.split())))
            continue
        page = Page(url, url, 200, "text/html", entry.get("charset"), body)
        try:
            articles.append(extractor.extract_sync(page))
        except PrismError:
            continue
    if extractor is not None:
        extractor.close()
    return articles


def long_article() -> Article:
    """A 30,000-word article with headed parts, to show the budget cut."""
    parts = []
    for n in range(40):
        parts.append(f"Part {n}: the harbour budget")
        parts += [
            f"Paragraph {n}.{i} of the long report. " + "The council met. " * 45 for i in range(4)
        ]
    text = "\n\n".join(parts)
    url = "https://fixtures.example/long-report"
    return Article(url, url, "A very long report", text, len(text.split()), language="en")


def cost_per_1000(usage: Usage, config: Config, *, cache: bool, batch: bool = False) -> float:
    """USD for 1,000 analyses like this one; without the cache every prefix token is input."""
    if cache:
        counts = (usage.input_tokens, usage.output_tokens, 0, usage.cache_read_tokens)
    else:
        cached = usage.cache_read_tokens + usage.cache_creation_tokens
        counts = (usage.input_tokens + cached, usage.output_tokens, 0, 0)
    return 1000 * estimate_cost(*counts, config.anthropic, batch=batch)


async def main(model: str, budget: int) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)  # a deprecated model still benches
    async with serve() as server:
        server.responder = echo
        config = Config().with_overrides(
            anthropic={
                "api_key": API_KEY,
                "base_url": server.base_url,
                "model": model,
                "max_input_tokens": budget,
                "max_retries": 0,
            }
        )
        analyzer = ClaudeAnalyzer.from_config(config)
        try:
            await report(analyzer, config, [*fixture_articles(config), long_article()])
        finally:
            await analyzer.aclose()


async def report(analyzer: ClaudeAnalyzer, config: Config, articles: list[Article]) -> None:
    system = estimate_tokens(analyzer.system)
    schema = estimate_tokens(json.dumps(analyzer.schema))
    minimum = min_cacheable_tokens(analyzer.model)
    print(f"model {analyzer.model}: minimum cacheable prefix {minimum} tokens")
    print(f"fixed prefix: system prompt ~{system} + schema ~{schema} = ~{system + schema} tokens")
    print(f"system prompt alone reaches the minimum: {'yes' if system >= minimum else 'NO'}")
    print()
    columns = ("tokens", "cut", "input", "output", "write", "read")
    print(f"{'article':<40} " + " ".join(f"{c:>6}" for c in columns))
    steady: list[Usage] = []
    for article in articles:
        before = estimate_tokens(article.text)
        after = estimate_tokens(cut_to_tokens(article.text, config.anthropic.max_input_tokens))
        name = article.url.rsplit("/", 1)[-1][:40]
        try:
            draft = await analyzer.analyze(article)
        except PrismError as exc:
            print(f"{name:<40} {before:>6} {after:>6} failed: {exc.kind}: {exc}")
            continue
        u = draft.generator.usage
        steady += [u] if u.cache_read_tokens else []
        print(
            f"{name:<40} {before:>6} {after:>6} {u.input_tokens:>6} {u.output_tokens:>6} "
            f"{u.cache_creation_tokens:>6} {u.cache_read_tokens:>6}"
        )
    summarise(steady, config)


def summarise(steady: list[Usage], config: Config) -> None:
    """Mean tokens per cached call and the cost per 1,000 analyses."""
    if not steady:
        print("\nno call read the prompt cache: the prefix is below the minimum")
        return
    mean = Usage(*(sum(getattr(u, f) for u in steady) // len(steady) for f in Usage.__slots__))
    with_cache = cost_per_1000(mean, config, cache=True)
    without = cost_per_1000(mean, config, cache=False)
    print()
    print(
        f"mean per call once cached: input {mean.input_tokens}, output {mean.output_tokens}, "
        f"cache read {mean.cache_read_tokens}"
    )
    print(
        f"estimated cost per 1,000 analyses: ${with_cache:.2f} with the cache, "
        f"${without:.2f} without ({100 * (1 - with_cache / without):.0f}% saved)"
    )
    print(f"in batch mode (half price): ${cost_per_1000(mean, config, cache=True, batch=True):.2f}")
    if not with_cache < without:
        raise SystemExit("the cached figure is not lower: the cache is not working")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=Config().anthropic.model)
    parser.add_argument("--budget", type=int, default=6000, help="max_input_tokens")
    args = parser.parse_args()
    asyncio.run(main(args.model, args.budget))
