"""The `prism-bot` command line: the contracts in DESIGN.md, kept stable.

Parsing and dispatch live here; what each command does lives in bot/cli/commands.py
(imported one way only: commands never import this module). A failure exits non-zero
with one line on stderr that starts with the kind of failure: `prism-bot: blocked: …`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot import __version__
from bot.app import console_run
from bot.cli import commands
from bot.cli.output import fail
from bot.config import SECRET_KEYS, Config, env_warnings, load_config
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
    "store": commands.store,
    "feeds": commands.feeds,
}


def role_names(text: str) -> list[str]:
    """`--only telegram,scheduler` as names (App checks them against the role table)."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{text!r}: role names separated by commas")
    return names


def build_parser() -> argparse.ArgumentParser:
    """Every command with its arguments; `--config PATH` is accepted after any of them.

    Every option's help ends with an example, and every command's help with its usage.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        help="TOML settings (default ./config.toml), e.g. --config my.toml",
    )
    parser = argparse.ArgumentParser(
        prog="prism-bot",
        description="News analyses for chats.",
        epilog="Start with: prism-bot chat   (or prism-bot COMMAND --help)",
    )
    parser.add_argument("--version", action="version", version=f"prism-bot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, summary: str, *examples: str) -> argparse.ArgumentParser:
        epilog = "examples:\n" + "\n".join(f"  prism-bot {e}" for e in examples)
        return sub.add_parser(
            name,
            parents=[common],
            help=summary,
            description=summary,
            epilog=epilog if examples else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = add(
        "run",
        "run every configured adapter and the digest scheduler",
        "run",
        "run --only scheduler",
    )
    p.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        type=role_names,
        help="run only these roles (telegram, discord, console, web, feeds, scheduler),"
        " e.g. --only telegram,web",
    )
    add("chat", "chat with the bot in this terminal", "chat")
    _analysis_commands(add)
    _digest_and_seeds(add)
    add("doctor", "what is configured and reachable (offline checks)", "doctor")
    p = add("stats", "analyses, requests, deliveries, token usage and cost", "stats --json")
    p.add_argument("--json", action="store_true", help=JSON_HELP + " stats --json")
    p = add("forget", "remove an analysis and its article (takedown requests)", "forget 12")
    p.add_argument("ref", metavar="URL|ID", help="the analysis, e.g. 12 or its link")
    # --- the web site and readers' Thoughts (issue 14) ---
    add("web", "serve only the web site ([web] listen and port)", "web")
    p = add("review", "analyses readers flagged inaccurate ([thoughts] review_after)", "review")
    p.add_argument("--json", action="store_true", help=JSON_HELP + " review --json")
    # --- beyond one machine (issue 16) ---
    p = add(
        "store",
        "copy the SQLite store into an empty PostgreSQL database",
        "store copy --to postgresql://prism@db.example/prism",
    )
    p.add_argument(
        "action", choices=["copy"], help="copy: the whole store, ids kept, e.g. store copy --to URL"
    )
    p.add_argument(
        "--to",
        metavar="URL",
        required=True,
        help="the empty target database, e.g. postgresql://prism@db.example/prism",
    )
    # --- news feeds (issue 13) ---
    p = add(
        "feeds",
        "news feeds: list, add, remove, poll",
        "feeds list --json",
        "feeds add https://example.com/economy.rss --category Economy --every 30",
        "feeds poll",
    )
    actions = p.add_subparsers(
        dest="action", metavar="ACTION", help="list, add, remove or poll, e.g. feeds list"
    )
    a = actions.add_parser("list", parents=[common], help="every feed with its state")
    a.add_argument("--json", action="store_true", help=JSON_HELP + " feeds list --json")
    a = actions.add_parser("add", parents=[common], help="add (or update) a feed")
    a.add_argument("url", help="the feed's link, e.g. https://example.com/economy.rss")
    a.add_argument("--category", default="", help="a configured category, e.g. --category Economy")
    a.add_argument(
        "--every", type=int, default=None, metavar="MIN", help="minutes between polls, e.g. 30"
    )
    a = actions.add_parser("remove", parents=[common], help="stop polling a feed")
    a.add_argument("url", help="the feed's link, e.g. https://example.com/economy.rss")
    a = actions.add_parser("poll", parents=[common], help="poll one feed or every feed now")
    a.add_argument("url", nargs="?", help="one feed's link (default: every due feed), e.g. URL")
    a.add_argument("--json", action="store_true", help=JSON_HELP + " feeds poll --json")
    p.set_defaults(feeds_help=p.format_help())
    return parser


JSON_HELP = "print JSON instead of text, e.g. prism-bot"
Add = Callable[..., argparse.ArgumentParser]


def _analysis_commands(add: Add) -> None:
    """analyze, extract, related: the commands about one link."""
    p = add(
        "analyze",
        "analyse one link and print the analysis",
        "analyze https://example.com/news/story",
        "analyze https://example.com/news/story --json",
    )
    p.add_argument("url", help="a news article's link, e.g. https://example.com/news/story")
    p.add_argument("--json", action="store_true", help=JSON_HELP + " analyze URL --json")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="regenerate a stored analysis, e.g. prism-bot analyze URL --refresh",
    )
    p.add_argument(
        "--language",
        metavar="CODE[,CODE]",
        help="the variant in this language (made from the stored analysis if new), up to"
        " 4 codes at once, e.g. --language de,ja",
    )
    p = add(
        "extract",
        "show what the fetcher and extractor make of a page",
        "extract https://example.com/news/story --json",
    )
    p.add_argument("url", help="a page's link, e.g. https://example.com/news/story")
    p.add_argument("--json", action="store_true", help=JSON_HELP + " extract URL --json")
    p = add(
        "related",
        "analyses related to a link or an analysis id",
        "related 12 --limit 3",
        "related https://example.com/news/story --json",
    )
    p.add_argument("ref", metavar="URL|ID", help="a link or an analysis id, e.g. 12")
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="at most N analyses, 1 or more ([related] limit by default), e.g. --limit 3",
    )
    p.add_argument("--json", action="store_true", help=JSON_HELP + " related 12 --json")


def _digest_and_seeds(add: Add) -> None:
    """digest and seeds: what channels receive, and the sample analyses."""
    p = add(
        "digest",
        "preview a digest (dry run), or --send every due digest now",
        "digest --channel console:local",
        "digest --category Economy --json",
        "digest --send",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--channel",
        metavar="PLATFORM:ID",
        help="a subscribed channel's digest, e.g. --channel console:local or telegram:-1001234",
    )
    target.add_argument(
        "--category",
        metavar="NAME",
        help="one category's digest, e.g. --category Economy",
    )
    p.add_argument(
        "--json", action="store_true", help=JSON_HELP + " digest --category Economy --json"
    )
    p.add_argument(
        "--send",
        action="store_true",
        help="deliver every due digest now instead of a preview, e.g. prism-bot digest --send",
    )
    p = add(
        "seeds",
        "sample analyses: `seeds import [DIR]` loads them (the shipped ones by default)",
        "seeds import",
        "seeds import my-seeds/",
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=["import"],
        help="import: store the seeds not stored yet, e.g. prism-bot seeds import",
    )
    p.add_argument(
        "dir",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="a folder of seed .toml files (default: the shipped ones), e.g. my-seeds/",
    )
    p.set_defaults(usage=p.format_help)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, load the config, set up logging, run one command; the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "seeds" and args.action is None:
        print(args.usage(), end="", file=sys.stderr)  # what `seeds` can do
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail(exc)
    for warning in env_warnings(os.environ):
        print(f"prism-bot: warning: {warning}", file=sys.stderr)
    secrets = [getattr(getattr(config, s), k) for s, k in SECRET_KEYS]
    level = config.log.level
    if level == "INFO" and (args.command != "run" or console_run(config)):
        # the terminal is the conversation: keep info lines out of it (DEBUG shows all)
        level = "WARNING"
    setup_logging(level, config.log.format, secrets)
    try:
        return asyncio.run(COMMANDS[args.command](args, config))
    except PrismError as exc:
        return fail(exc)
    except KeyboardInterrupt:  # Ctrl-C: the work in flight was cancelled, the store closed
        print("prism-bot: interrupted", file=sys.stderr)
        return 130
