"""What each `prism-bot` command does. bot/cli/main.py parses the arguments and
dispatches here through its command table; this module never imports main.

Commands reach the core only through App (run, chat, digest --send) or Core's typed
query methods; the JSON shapes they print live in bot/cli/output.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

from bot.app import App, print_replies
from bot.cli.output import (
    analysis_json,
    article_json,
    feed_json,
    poll_json,
    print_json,
    related_json,
    reply_json,
    review_json,
    stats_json,
    stats_lines,
)
from bot.config import Config
from bot.core import Core
from bot.errors import BadArguments
from bot.ingest.budgets import Budget
from bot.models import Analysis, ChannelRef, Request
from bot.replies import analysis_reply

CLI_USER = "cli"
CLI_CHANNEL = ChannelRef("cli", "local")


@contextlib.asynccontextmanager
async def opened(config: Config) -> AsyncIterator[Core]:
    """The core for one command, closed however the command ends."""
    core = await Core.open(config)
    try:
        yield core
    finally:
        await core.aclose()


def store_only(config: Config) -> Config:
    """For commands that never analyse (stats): the offline analyser, which needs no
    key, so a Claude configuration without one still answers."""
    return dataclasses.replace(
        config, analyzer=dataclasses.replace(config.analyzer, backend="offline")
    )


async def analyze(args: argparse.Namespace, config: Config) -> int:
    """`analyze URL [--json] [--refresh] [--language CODE[,CODE…]]`."""
    async with opened(config) as core:
        request = Request("analyze", args.url, CLI_CHANNEL, CLI_USER)
        operator = Budget.operator()  # not a chat user: only the global daily budget applies
        if args.language:
            found = await core.resolve_languages(
                args.url, request, args.language, args.refresh, budget=operator
            )
        else:
            found = [await core.resolve(args.url, request, refresh=args.refresh, budget=operator)]
        shown = [await _shown(core, r.analysis, r.cached) for r in found]
    if args.json:
        print_json(shown[0] if len(shown) == 1 else shown)
    else:
        print_replies([analysis_reply(r.analysis) for r in found])
    return 0


async def _shown(core: Core, analysis: Analysis, cached: bool) -> dict[str, object]:
    """One analysis's JSON, with its Thoughts, stored variants, story and whether it was
    answered from the store."""
    thoughts = await core.thoughts(analysis.id)
    variants = await core.variants(analysis)
    story = await core.story(analysis)
    return {**analysis_json(analysis, thoughts, variants, story), "cached": cached}


async def extract(args: argparse.Namespace, config: Config) -> int:
    """`extract URL [--json]`: the fetcher and extractor alone, no store, no analyser."""
    from bot.ingest import links
    from bot.ingest.extract import Extractor
    from bot.ingest.fetch import Fetcher

    links.canonicalize(args.url)  # a clear "not a link" before any network work
    fetcher, extractor = Fetcher(config.fetch), Extractor(config.extract)
    try:
        article = await extractor.extract(await fetcher.fetch(args.url))
    finally:
        await fetcher.aclose()
        extractor.close()
    data = article_json(article)
    with contextlib.suppress(Exception):
        data["canonical_url"] = links.canonicalize(article.canonical_url)
    if args.json:
        print_json(data)
    else:
        print(f"{data['title']}\n{data['canonical_url']}\n{data['words']} words\n")
        print(data["text"])
    return 0


async def related(args: argparse.Namespace, config: Config) -> int:
    """`related (URL|ID) [--limit N] [--json]`."""
    async with opened(config) as core:
        request = Request("related", args.ref, CLI_CHANNEL, CLI_USER)
        if args.limit is not None and args.limit < 1:
            raise BadArguments(f"--limit must be a whole number of 1 or more, not {args.limit}")
        source = await core.source(args.ref, request, budget=Budget.operator())
        rows = [related_json(hit) for hit in await core.related_to(source, args.limit)]
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"Nothing related to #{source.id} yet.")
    else:
        for r in rows:
            print(f"#{r['id']}  {r['headline']}  [{r['category']}, {r['reason']}]")
    return 0


async def digest(args: argparse.Namespace, config: Config) -> int:
    """`digest [--channel CH | --category NAME] [--json]`, or `digest --send`."""
    if args.send:
        return await _send_digests(config, args.json)
    channel = parse_channel(args.channel) if args.channel else None
    category = None
    if args.category:
        category = config.category(args.category)
        if category is None:
            names = ", ".join(config.categories.names)
            raise BadArguments(f"unknown category {args.category!r} (one of: {names})")
    if channel is None and category is None:
        raise BadArguments("say which digest: --channel PLATFORM:ID or --category NAME")
    async with opened(config) as core:
        reply = await core.digest_preview(channel=channel, category=category)
    if args.json:
        print_json(reply_json(reply) if reply else None)
    elif reply is None:
        print("Nothing new for that digest.")
    else:
        print_replies([reply])
    return 0


async def _send_digests(config: Config, as_json: bool) -> int:
    """Every due digest now, through every platform with a token (and the console)."""
    async with App(config, only=[], seed=False) as app:  # send-only: `run` may be receiving
        report = await app.send_due_digests()
    summary = {k: list(v) for k, v in vars(report).items()}
    if as_json:
        print_json(summary)
    else:
        print(", ".join(f"{k}: {len(v)}" for k, v in summary.items()))
    return 0


async def seeds(args: argparse.Namespace, config: Config) -> int:
    """`seeds import [DIR]`."""
    async with opened(config) as core:
        report = await core.import_seeds(args.dir)
    print(f"seeds: {report.added} added, {report.skipped} already stored")
    return 0


async def forget(args: argparse.Namespace, config: Config) -> int:
    """`forget (URL|ID)`: takedown requests."""
    async with opened(config) as core:
        analysis = await core.forget(args.ref)
    print(f"forgot analysis #{analysis.id} and its article ({analysis.canonical_url})")
    return 0


async def stats(args: argparse.Namespace, config: Config) -> int:
    """`stats [--json]`: counts and usage, from the store only."""
    from bot.analyzers.pricing import total_cost

    async with opened(store_only(config)) as core:
        totals = await core.stats()
    cost = total_cost(totals.by_model, config.anthropic)  # each model at its own prices
    data = stats_json(totals, cost)
    if args.json:
        print_json(data)
    else:
        print("\n".join(stats_lines(data)))
    return 0


async def doctor(args: argparse.Namespace, config: Config) -> int:
    """`doctor`: offline checks; a secret is shown as set or not, never its value."""
    from bot.cli.doctor import run_checks, secret_rows

    checks = await run_checks(config)
    rows = [("ok" if good else "FAIL", name, detail) for name, good, detail in checks]
    rows += [("", name, detail) for name, detail in secret_rows(config)]
    width = max(len(name) for _, name, _ in rows)
    for status, name, detail in rows:
        print(f"{status:4}  {name:{width}}  {detail}".rstrip())
    return 0 if all(good for _, good, _ in checks) else 1


async def chat(args: argparse.Namespace, config: Config) -> int:
    """`chat`: the console adapter alone, until end of input or /quit."""
    async with App(config, only=["console"]) as app:
        await app.run()
    return 0


async def run(args: argparse.Namespace, config: Config) -> int:
    """`run [--only NAME[,NAME]]`: every configured role (or the named ones) until SIGINT
    or SIGTERM; unknown names are a usage error naming the valid ones."""
    async with App(config, only=getattr(args, "only", None)) as app:
        await app.run()
    return 0


def parse_channel(text: str) -> ChannelRef:
    """`--channel telegram:-100…` as a ChannelRef, or a usage error naming the form."""
    try:
        return ChannelRef.parse(text)
    except ValueError as exc:
        raise BadArguments(str(exc)) from None


async def web(args: argparse.Namespace, config: Config) -> int:
    """`web`: only the web site, until SIGINT or SIGTERM."""
    async with App(config, only=["web"]) as app:
        for service in app.services:
            print(f"prism-bot web: serving {service.url}/ (Ctrl-C stops)", flush=True)
        await app.run()
    return 0


async def review(args: argparse.Namespace, config: Config) -> int:
    """`review [--json]`: analyses readers flagged inaccurate `[thoughts] review_after` times."""
    async with opened(store_only(config)) as core:
        flagged = await core.review()
    rows = [review_json(a, t) for a, t in flagged]
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"Nothing to review: no analysis has {config.thoughts.review_after} inaccurate.")
    else:
        for r in rows:
            print(
                f"#{r['id']}  {r['inaccurate']} inaccurate, {r['useful']} useful  {r['headline']}"
            )
        print("Regenerate one with: prism-bot analyze URL --refresh")
    return 0


async def store(args: argparse.Namespace, config: Config) -> int:
    """`store copy --to URL`: the SQLite store at `[storage] path` into empty PostgreSQL."""
    from pathlib import Path

    from bot.store import Store
    from bot.store.postgres.url import describe, is_postgres_url

    if not is_postgres_url(args.to):
        raise BadArguments("--to must be a postgresql:// URL of an existing database")
    if not await asyncio.to_thread(Path(config.storage.path).is_file):
        raise BadArguments(f"no SQLite store at {config.storage.path} ([storage] path)")
    from bot.store.copy import copy_store
    from bot.store.postgres.store import PgStore

    async with (
        await Store.open(config.storage.path) as source,
        await PgStore.open(args.to) as target,
    ):
        report = await copy_store(source, target)
    for table, count in report.rows.items():
        print(f"{table:20} {count} rows")
    print(f"copied {config.storage.path} into {describe(args.to)}")
    return 0


async def feeds(args: argparse.Namespace, config: Config) -> int:
    """`feeds list|add|remove|poll`: the operator's news feeds, through the core."""
    if args.action is None:
        print(args.feeds_help, end="")
        return 0
    async with opened(config) as core:
        if args.action == "list":
            _print_feeds([feed_json(f) for f in await core.feeds()], args.json)
        elif args.action == "add":
            feed = await core.add_feed(args.url, args.category, args.every)
            every = f"every {feed.every_min} min" if feed.every_min else "default interval"
            print(f"feed added: {feed.url} ({feed.category or 'any category'}, {every})")
        elif args.action == "remove":
            feed = await core.remove_feed(args.url)
            print(f"feed removed: {feed.url} (its analyses stay)")
        else:
            data = poll_json(await core.poll_feeds(args.url))
            if args.json:
                print_json(data)
            else:
                print(", ".join(f"{k}: {v}" for k, v in data.items() if k != "disabled"))
    return 0


def _print_feeds(rows: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        print_json(rows)
    elif not rows:
        print("No feeds yet: add one with `prism-bot feeds add URL` or [[feeds]] in the config.")
    else:
        for r in rows:
            error = f"  ({r['error']})" if r["error"] else ""
            where = f"[{r['category'] or '-'}]"
            print(f"{r['status']:9} {r['url']}  {where} {r['items_seen']} items{error}")
