"""The `prism-bot` command line: the contracts in DESIGN.md, kept stable.

A failure exits non-zero with one line on stderr that starts with the kind of
failure: `prism-bot: blocked: …`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.config import SECRET_KEYS, Config, load_config
from bot.errors import ConfigError, PrismError
from bot.logs import setup_logging
from bot.models import Analysis, Article, ChannelRef, Reply, Thoughts

Command = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help="TOML settings (default ./config.toml)")
    parser = argparse.ArgumentParser(prog="prism-bot", description="News analyses for chats.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=summary, description=summary)

    add("run", "run every configured adapter and the digest scheduler")
    add("chat", "chat with the bot in this terminal")
    p = add("analyze", "analyse one link and print the analysis")
    p.add_argument("url")
    p.add_argument("--json", action="store_true")
    p.add_argument("--refresh", action="store_true", help="regenerate a stored analysis")
    p = add("extract", "show what the fetcher and extractor make of a page")
    p.add_argument("url")
    p.add_argument("--json", action="store_true")
    p = add("related", "analyses related to a link or an analysis id")
    p.add_argument("ref", metavar="URL|ID")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p = add("digest", "preview a digest (dry run), or --send every due digest now")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--channel", metavar="PLATFORM:ID")
    target.add_argument("--category", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.add_argument("--send", action="store_true")
    p = add("seeds", "sample analyses")
    p.add_argument("action", choices=["import"])
    p.add_argument("dir", nargs="?", type=Path)
    add("doctor", "what is configured and reachable (offline checks)")
    p = add("stats", "analyses, requests, deliveries, token usage and cost")
    p.add_argument("--json", action="store_true")
    p = add("forget", "remove an analysis and its article (takedown requests)")
    p.add_argument("ref", metavar="URL|ID")
    # --- the web site and readers' Thoughts (issue 14) ---
    add("web", "serve only the web site ([web] listen and port)")
    p = add("review", "analyses readers flagged inaccurate ([thoughts] review_after)")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _fail(exc)
    secrets = [getattr(getattr(config, s), k) for s, k in SECRET_KEYS]
    level = config.log.level
    if level in ("DEBUG", "INFO") and (args.command != "run" or console_run(config)):
        level = "WARNING"  # the terminal is the conversation: keep info lines out of it
    setup_logging(level, config.log.format, secrets)
    from bot.cli import commands as commands_cli

    handler: Command = getattr(commands_cli, f"cmd_{args.command}")
    try:
        return asyncio.run(handler(args, config))
    except PrismError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        return 130


def console_run(config: Config) -> bool:
    """`run` falls back to the console adapter: no platform token, a terminal on stdin."""
    return not (config.telegram.token or config.discord.token) and sys.stdin.isatty()


def _fail(exc: PrismError) -> int:
    print(f"prism-bot: {exc.kind}: {exc.message}", file=sys.stderr)
    return 2 if exc.kind in ("config", "usage") else 1


# --- JSON shapes of the CLI contract ------------------------------------------------------


def analysis_json(a: Analysis, thoughts: Thoughts | None = None) -> dict[str, Any]:
    from bot.replies import disclaimer

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
        "disclaimer": disclaimer(a.generator.backend),
        "thoughts": {"useful": counts.useful, "inaccurate": counts.inaccurate},
    }


def article_json(article: Article) -> dict[str, Any]:
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


def reply_json(reply: Reply) -> dict[str, Any]:
    out = asdict(reply)
    return {k: v for k, v in out.items() if v not in (None, (), [], False)}


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def parse_channel(text: str) -> ChannelRef:
    try:
        return ChannelRef.parse(text)
    except ValueError as exc:
        from bot.errors import BadArguments

        raise BadArguments(str(exc)) from None
