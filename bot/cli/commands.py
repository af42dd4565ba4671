"""What each `prism-bot` command does; bot/cli.py parses the arguments."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING

from bot.cli.main import (
    analysis_json,
    article_json,
    console_run,
    parse_channel,
    print_json,
    reply_json,
)
from bot.config import SECRET_KEYS, Config
from bot.core import Core
from bot.errors import BadArguments
from bot.logs import event
from bot.models import ChannelRef, Request
from bot.store import Totals

if TYPE_CHECKING:
    from bot.ports import Adapter, Sender

log = logging.getLogger("prism.cli")

CLI_USER = "cli"
CLI_CHANNEL = ChannelRef("cli", "local")


async def cmd_analyze(args: argparse.Namespace, config: Config) -> int:
    core = await Core.open(config)
    try:
        request = Request("analyze", args.url, CLI_CHANNEL, CLI_USER)
        resolution = await core.resolve(args.url, request, refresh=args.refresh)
        thoughts = await core.thoughts(resolution.analysis.id)
    finally:
        await core.aclose()
    if args.json:
        data = analysis_json(resolution.analysis, thoughts)
        print_json({**data, "cached": resolution.cached})
    else:
        from adapters.console import print_replies
        from bot.replies import analysis_reply

        print_replies([analysis_reply(resolution.analysis)])
    return 0


async def cmd_extract(args: argparse.Namespace, config: Config) -> int:
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


async def cmd_related(args: argparse.Namespace, config: Config) -> int:
    core = await Core.open(config)
    try:
        request = Request("related", args.ref, CLI_CHANNEL, CLI_USER)
        source = await core.source(args.ref, request)
        hits = await core.related_to(source, args.limit)
    finally:
        await core.aclose()
    rows = [
        {
            "id": h.analysis.id,
            "headline": h.analysis.headline,
            "category": h.analysis.category,
            "url": h.analysis.source.url,
            "reading_minutes": h.analysis.reading_minutes,
            "score": round(h.score, 4),
            "reason": h.reason,
        }
        for h in hits
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"Nothing related to #{source.id} yet.")
    else:
        for r in rows:
            print(f"#{r['id']}  {r['headline']}  [{r['category']}, {r['reason']}]")
    return 0


async def cmd_digest(args: argparse.Namespace, config: Config) -> int:
    core = await Core.open(config)
    try:
        if args.send:
            return await _send_digests(core, args.json)
        channel = parse_channel(args.channel) if args.channel else None
        if args.category and config.category(args.category) is None:
            names = ", ".join(config.categories.names)
            raise BadArguments(f"unknown category {args.category!r} (one of: {names})")
        category = config.category(args.category) if args.category else None
        if channel is None and category is None:
            raise BadArguments("say which digest: --channel PLATFORM:ID or --category NAME")
        reply = await core.digest_preview(channel=channel, category=category)
    finally:
        await core.aclose()
    if args.json:
        print_json(reply_json(reply) if reply else None)
    elif reply is None:
        print("Nothing new for that digest.")
    else:
        from adapters.console import print_replies

        print_replies([reply])
    return 0


async def _send_digests(core: Core, as_json: bool) -> int:
    from adapters import build_adapters
    from adapters.console import ConsoleAdapter

    adapters = build_adapters(core.config, core)
    senders: dict[str, Sender] = {"console": ConsoleAdapter(core)}
    for adapter in adapters:
        await adapter.start()
        senders[adapter.platform] = adapter
    try:
        report = await core.send_due_digests(senders)
    finally:
        for adapter in reversed(adapters):
            await adapter.stop()
    summary = {k: list(v) for k, v in vars(report).items()}
    if as_json:
        print_json(summary)
    else:
        print(", ".join(f"{k}: {len(v)}" for k, v in summary.items()))
    return 0


async def cmd_seeds(args: argparse.Namespace, config: Config) -> int:
    core = await Core.open(config)
    try:
        report = await core.import_seeds(args.dir)
    finally:
        await core.aclose()
    print(f"seeds: {report.added} added, {report.skipped} already stored")
    return 0


async def cmd_forget(args: argparse.Namespace, config: Config) -> int:
    core = await Core.open(config)
    try:
        analysis = await core.forget(args.ref)
    finally:
        await core.aclose()
    print(f"forgot analysis #{analysis.id} and its article ({analysis.canonical_url})")
    return 0


async def cmd_stats(args: argparse.Namespace, config: Config) -> int:
    core = await Core.open(config)
    try:
        totals = await core.stats()
    finally:
        await core.aclose()
    cost = _estimate_cost(totals, config)
    data = {**vars(totals), "estimated_cost_usd": round(cost, 4)}
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            print(f"{key:24} {value}")
    return 0


def _estimate_cost(totals: Totals, config: Config) -> float:
    from bot.analyzers.pricing import estimate_cost

    return estimate_cost(
        totals.input_tokens,
        totals.output_tokens,
        totals.cache_creation_tokens,
        totals.cache_read_tokens,
        config.anthropic,
    )


async def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    from bot.cli.doctor import run_checks

    ok = True
    for name, good, detail in await run_checks(config):
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'}  {name:22} {detail}")
    set_secrets = {f"[{s}] {k}": bool(getattr(getattr(config, s), k)) for s, k in SECRET_KEYS}
    for key, present in sorted(set_secrets.items()):
        print(f"      {key:22} {'set' if present else 'not set'}")
    return 0 if ok else 1


async def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    from adapters.console import ConsoleAdapter

    core = await Core.open(config)
    try:
        await _seed_if_empty(core)
        console = ConsoleAdapter(core)
        await console.repl()
    finally:
        await core.aclose()
    return 0


async def cmd_run(args: argparse.Namespace, config: Config) -> int:
    from adapters import build_adapters
    from adapters.console import ConsoleAdapter
    from bot.digests.scheduler import DigestScheduler

    core = await Core.open(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    adapters: list[Adapter] = []
    scheduler: DigestScheduler | None = None
    try:
        await _seed_if_empty(core)
        adapters = build_adapters(config, core)
        console = None
        if console_run(config):
            console = ConsoleAdapter(core, on_exit=stop.set)
            adapters.append(console)
        if not adapters:
            event(log, "idle", reason="no platform token configured and no terminal on stdin")
        for adapter in adapters:
            await adapter.start()
        scheduler = DigestScheduler(core.digests, {a.platform: a for a in adapters}, config)
        await scheduler.start()
        event(log, "running", adapters=",".join(a.platform for a in adapters) or "-")
        await stop.wait()
    finally:
        event(log, "stopping")
        if scheduler is not None:
            await scheduler.stop()
        for adapter in reversed(adapters):
            await adapter.stop()
        await core.aclose()
        event(log, "stopped")
    return 0


async def _seed_if_empty(core: Core) -> None:
    """A new user's first run has content to look at."""
    report = await core.seed_if_empty()
    if report is not None:
        event(log, "seeds", added=report.added)


# --- the web site and readers' Thoughts (issue 14) ------------------------------------------


async def cmd_web(args: argparse.Namespace, config: Config) -> int:
    """Serve only the web site until SIGINT or SIGTERM."""
    from adapters import web as web_adapter

    core = await Core.open(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await _seed_if_empty(core)
        async with web_adapter.create(config, core) as site:
            print(f"prism-bot web: serving {site.url}/ (Ctrl-C stops)", flush=True)
            await stop.wait()
    finally:
        await core.aclose()
    return 0


async def cmd_review(args: argparse.Namespace, config: Config) -> int:
    """List analyses readers flagged `inaccurate` at least `[thoughts] review_after` times."""
    core = await Core.open(config)
    try:
        flagged = await core.review()
    finally:
        await core.aclose()
    rows = [
        {
            "id": a.id,
            "headline": a.headline,
            "category": a.category,
            "url": a.canonical_url,
            "useful": t.useful,
            "inaccurate": t.inaccurate,
        }
        for a, t in flagged
    ]
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
