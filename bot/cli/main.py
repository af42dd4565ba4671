"""The `prism-bot` command line: the contracts in DESIGN.md, kept stable.

Parsing and dispatch live here; what each command does lives in bot/cli/commands.py
(imported one way only: commands never import this module). A failure exits non-zero
with one line on stderr that starts with the kind of failure: `prism-bot: blocked: …`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.app import console_run
from bot.cli import commands
from bot.cli.output import fail
from bot.config import SECRET_KEYS, Config, load_config
from bot.errors import ConfigError, PrismError
from bot.logs import setup_logging

Command = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]

# The command table: every CLI command, by name, to its handler.
COMMANDS: dict[str, Command] = {
    "run": commands.run,
    "chat": commands.chat,
    "analyze": commands.analyze,
    "extract": commands.extract,
    "related": commands.related,
    "digest": commands.digest,
    "seeds": commands.seeds,
    "doctor": commands.doctor,
    "stats": commands.stats,
    "forget": commands.forget,
    "web": commands.web,
    "review": commands.review,
    "feeds": commands.feeds,
}


def build_parser() -> argparse.ArgumentParser:
    """Every command with its arguments; `--config PATH` is accepted after any of them."""
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
    # --- news feeds (issue 13) ---
    p = add("feeds", "news feeds: list, add, remove, poll")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    a = actions.add_parser("list", parents=[common], help="every feed with its state")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("add", parents=[common], help="add (or update) a feed")
    a.add_argument("url")
    a.add_argument("--category", default="")
    a.add_argument("--every", type=int, default=None, metavar="MIN", help="minutes between polls")
    a = actions.add_parser("remove", parents=[common], help="stop polling a feed")
    a.add_argument("url")
    a = actions.add_parser("poll", parents=[common], help="poll one feed or every feed now")
    a.add_argument("url", nargs="?")
    a.add_argument("--json", action="store_true")
    p.set_defaults(feeds_help=p.format_help())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, load the config, set up logging, run one command; the exit code."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail(exc)
    secrets = [getattr(getattr(config, s), k) for s, k in SECRET_KEYS]
    level = config.log.level
    if level in ("DEBUG", "INFO") and (args.command != "run" or console_run(config)):
        level = "WARNING"  # the terminal is the conversation: keep info lines out of it
    setup_logging(level, config.log.format, secrets)
    try:
        return asyncio.run(COMMANDS[args.command](args, config))
    except PrismError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        return 130
