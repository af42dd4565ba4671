"""Tokens and cost of a second-language variant against a fresh analysis of the same
article, through the local Messages API server.

For each fixture article: a fresh analysis written in German (the first variant), then
the Japanese variant two ways: fresh from the article (what a tool without variants
pays) and made from the stored German analysis plus the stored article's opening (what
prism-bot does, on `[anthropic] translation_model`). Fresh calls are measured in the
steady state (system prompt read from the prompt cache). Each call is priced at the
model it ran on (bot/analyzers/pricing.py). Target: the variant costs at most 60% of a
fresh analysis. Measured on 8b0abac, all on one model: tokens 47%, cost 98%.

The local server stands in for the model (tests/support/languages.py): it counts about
four characters a token (CJK one each) and answers in the named language with stock
sentences about as long as the original, so output figures are indicative.

Run: .venv/bin/python bench/bench_languages.py [--model M] [--translation-model T]
(T "" = M, the figures before translation_model)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_tokens import fixture_articles
from bot.analyzers.claude import ClaudeAnalyzer
from bot.analyzers.pricing import model_cost
from bot.config import AnthropicConfig, Config
from bot.errors import PrismError
from bot.models import Analysis, Article, Draft, Generator, Source, Usage
from bot.text import reading_minutes
from tests.support.anthropic_server import API_KEY, serve
from tests.support.languages import polyglot


def stored(article: Article, draft: Draft) -> Analysis:
    """The draft as the store would hand it back (what a translation starts from)."""
    return Analysis(
        id=1, article_id=1, url=article.url, canonical_url=article.canonical_url,
        headline=draft.headline, dek=draft.dek, category=draft.category,
        sections=draft.sections, tags=draft.tags, language=draft.language,
        key_question=draft.key_question, reading_minutes=reading_minutes(draft.dek),
        source=Source(article.url, article.site, article.title, article.published_at),
        generator=draft.generator, created_at=datetime.now(UTC),
    )  # fmt: skip


def tokens(u: Usage) -> int:
    """Every token the call was billed for, whatever its rate."""
    return u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens


async def measure(analyzer: ClaudeAnalyzer, article: Article) -> tuple[Generator, Generator]:
    """(fresh Japanese analysis, Japanese variant from the stored German one)."""
    german = await analyzer.analyze(article, "de")
    fresh = await analyzer.analyze(article, "ja")  # the prompt cache is warm by now
    variant = await analyzer.translate(stored(article, german), article, "ja")
    return fresh.generator, variant.generator


def cost(g: Generator, prices: AnthropicConfig) -> float:
    """USD for one generation at the prices of the model it ran on."""
    return model_cost(g.usage, g.model, prices)


async def main(model: str, translation_model: str) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    async with serve() as server:
        server.responder = polyglot
        config = Config().with_overrides(
            anthropic={
                "api_key": API_KEY,
                "base_url": server.base_url,
                "model": model,
                "translation_model": translation_model,
            }
        )
        analyzer = ClaudeAnalyzer.from_config(config)
        try:
            await report(analyzer, config, fixture_articles(config))
        finally:
            await analyzer.aclose()


async def report(analyzer: ClaudeAnalyzer, config: Config, articles: list[Article]) -> None:
    prices = config.anthropic
    print(f"model {analyzer.model}, variants on {analyzer.translation_model}; a variant sees "
          f"at most {analyzer.translation_excerpt} article tokens")  # fmt: skip
    head = ("fresh tok", "variant", "ratio", "fresh $", "variant $", "ratio")
    print(f"{'article':<34} " + " ".join(f"{h:>9}" for h in head))
    token_ratios, cost_ratios = [], []
    fresh_all, variant_all = [], []
    for article in articles:
        name = article.url.rsplit("/", 1)[-1][:34]
        try:
            fresh, variant = await measure(analyzer, article)
        except PrismError as exc:
            print(f"{name:<34} failed: {exc.kind}: {exc}")
            continue
        ft, vt = tokens(fresh.usage), tokens(variant.usage)
        fc, vc = cost(fresh, prices), cost(variant, prices)
        token_ratios.append(vt / ft)
        cost_ratios.append(vc / fc)
        fresh_all.append(fresh)
        variant_all.append(variant)
        print(
            f"{name:<34} {ft:>9} {vt:>9} {vt / ft:>9.0%} {fc * 1000:>9.2f} {vc * 1000:>9.2f}"
            f" {vc / fc:>9.0%}"
        )
    if not token_ratios:
        print("no article could be measured")
        return
    print()
    print(f"articles: {len(token_ratios)} (costs above are USD per 1,000 calls)")
    mean = statistics.mean
    print(f"fresh analysis:  {mean(tokens(g.usage) for g in fresh_all):8.0f} tokens, "
          f"${mean(cost(g, prices) for g in fresh_all) * 1000:.2f} per 1,000")  # fmt: skip
    print(f"second language: {mean(tokens(g.usage) for g in variant_all):8.0f} tokens, "
          f"${mean(cost(g, prices) for g in variant_all) * 1000:.2f} per 1,000")  # fmt: skip
    print(f"variant / fresh: tokens {mean(token_ratios):.0%}, cost {mean(cost_ratios):.0%} "
          f"(median {statistics.median(cost_ratios):.0%}); target <= 60%")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="claude-sonnet-4-6")
    parser.add_argument("--translation-model", default="claude-haiku-4-5")
    args = parser.parse_args()
    asyncio.run(main(args.model, args.translation_model))
