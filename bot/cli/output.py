"""Everything the CLI prints: the JSON shapes of the contract in DESIGN.md, and the
one-line failure. Kept in one module so a contract change is one diff."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.errors import PrismError
from bot.ingest.feeds.poller import PollReport
from bot.ingest.feeds.service import Story
from bot.models import Analysis, Article, Reply, Thoughts
from bot.related import RelatedHit
from bot.replies import disclaimer
from bot.store import Totals
from bot.store.feeds import Feed


def analysis_json(
    a: Analysis,
    thoughts: Thoughts | None = None,
    variants: Sequence[str] = (),
    story: Story | None = None,
) -> dict[str, Any]:
    """`analyze --json`: the analysis contract (more keys are welcome, none removed);
    `language` is this variant's, `variants` every language stored for the article,
    `story` the other outlets that covered the same event (null when none did)."""
    counts = thoughts or Thoughts()
    return {
        "id": a.id,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "headline": a.headline,
        "dek": a.dek,
        "category": a.category,
        "sections": [{"heading": s.heading, "paragraphs": list(s.paragraphs)} for s in a.sections],
        "reading_minutes": a.reading_minutes,
        "language": a.language,
        "variants": list(variants) or [a.language],
        "source": {
            "url": a.source.url,
            "publisher": a.source.publisher,
            "title": a.source.title,
            "published_at": a.source.published_at,
        },
        "generator": {
            "backend": a.generator.backend,
            "model": a.generator.model,
            "prompt_version": a.generator.prompt_version,
            "usage": asdict(a.generator.usage),
        },
        "created_at": a.created_at.isoformat(),
        "tags": list(a.tags),
        "key_question": a.key_question,
        "flags": list(a.flags),
        "disclaimer": disclaimer(a.generator.backend, a.language),
        "thoughts": {"useful": counts.useful, "inaccurate": counts.inaccurate},
        "story": story_json(story),
    }


def feed_json(feed: Feed) -> dict[str, Any]:
    """`feeds list --json`: one feed and its polling state."""
    state = feed.state
    return {
        "url": feed.url,
        "name": feed.name,
        "category": feed.category,
        "status": state.status,
        "last_polled_at": _iso(state.last_polled_at),
        "last_ok_at": _iso(state.last_ok_at),
        "items_seen": feed.items_seen,
        "error": state.error,
    }


def poll_json(report: PollReport) -> dict[str, Any]:
    """`feeds poll --json`: what the round did (the contract's keys first)."""
    keys = ("feeds", "not_modified", "new_items", "analysed", "joined_stories", "failed")
    data = report.as_dict()
    return {**{k: data[k] for k in keys}, **data}


def story_json(story: Story | None) -> dict[str, Any] | None:
    """An analysis's `story`: its id and every outlet's source, the analysed one first."""
    if story is None:
        return None
    sources = [
        {"url": s.url, "publisher": s.publisher, "title": s.title, "published_at": s.published_at}
        for s in story.sources
    ]
    return {"id": story.id, "sources": sources}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def article_json(article: Article) -> dict[str, Any]:
    """`extract --json`: what the fetcher and extractor made of a page."""
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "author": article.author,
        "published_at": article.published_at,
        "site": article.site,
        "language": article.language,
        "text": article.text,
        "words": article.words,
    }


def related_json(hit: RelatedHit) -> dict[str, Any]:
    """`related --json`: one related analysis with its score and reason."""
    a = hit.analysis
    return {
        "id": a.id,
        "headline": a.headline,
        "category": a.category,
        "url": a.source.url,
        "reading_minutes": a.reading_minutes,
        "score": round(hit.score, 4),
        "reason": hit.reason,
    }


def reply_json(reply: Reply) -> dict[str, Any]:
    """`digest --json`: a reply document without its empty fields."""
    out = asdict(reply)
    return {k: v for k, v in out.items() if v not in (None, (), [], False)}


def stats_json(totals: Totals, cost_usd: float) -> dict[str, Any]:
    """`stats --json`: the totals and their estimated cost."""
    return {**asdict(totals), "estimated_cost_usd": round(cost_usd, 4)}


def stats_lines(data: dict[str, Any]) -> list[str]:
    """`stats` for people: one aligned `name  value` line each, counts by backend spelled
    out (`offline 13, seed 12`), the cost in dollars."""
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "none"
        elif key == "estimated_cost_usd":
            value = f"${value:.4f}"
        label = key.removesuffix("_usd").replace("_", " ")
        lines.append(f"{label:24} {value}")
    return lines


def print_json(value: Any) -> None:
    """Machine output: one JSON document, UTF-8 kept readable."""
    print(json.dumps(value, ensure_ascii=False, indent=2))


def fail(exc: PrismError) -> int:
    """One line on stderr naming the kind of failure; the exit code for it."""
    print(f"prism-bot: {exc.kind}: {exc.message}", file=sys.stderr)
    return 2 if exc.kind in ("config", "usage") else 1


def review_json(a: Analysis, thoughts: Thoughts) -> dict[str, Any]:
    """`review --json`: one analysis readers flagged, with its counts."""
    return {
        "id": a.id,
        "headline": a.headline,
        "category": a.category,
        "url": a.canonical_url,
        "useful": thoughts.useful,
        "inaccurate": thoughts.inaccurate,
    }
