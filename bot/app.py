"""The composition root: config → core → adapters → scheduler, run, then stop in order.

This is the only module of `bot/` that imports `adapters`, and it imports a platform
only when a role that needs it is on. A role is one row of `ROLES`: when it is on by
default (from the config) and how its part is built. Adding a platform, the web site
or the feed poller is one builder and one row here.

Start-up order: open the core (store, fetcher, analyser), seed an empty store, enter
each adapter (`async with adapter`: connect and start receiving), then the scheduler.
Shutdown is the exact reverse, driven by one AsyncExitStack:
1. the scheduler stops ticking and lets the delivery being sent finish;
2. each adapter, newest first, stops receiving, finishes its in-flight replies and
   disconnects;
3. the core closes its parts and the store.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bot.config import Config
from bot.core import Core
from bot.errors import BadArguments
from bot.logs import event
from bot.ports import Interruptible

if TYPE_CHECKING:
    from bot.digests.delivery import DeliveryReport
    from bot.digests.scheduler import DigestScheduler
    from bot.models import Reply
    from bot.ports import Adapter, Sender, Service

log = logging.getLogger("prism.app")

Build = Callable[[Config, Core, Callable[[], None]], "Adapter"]
Serve = Callable[[Config, Core], "Service"]


@dataclass(frozen=True)
class Role:
    """One thing a process can run: on by default when `wanted(config)` says so.

    `build` makes a chat adapter (it receives and delivers digests), `serve` a service
    that only receives (the web site); a role with neither is the digest scheduler.
    `send` makes the platform's send-only connection, which the scheduler opens when
    this process does not receive on that platform (`run --only scheduler`).
    """

    name: str
    wanted: Callable[[Config], bool]
    build: Build | None = None
    serve: Serve | None = None
    send: Build | None = None


def console_run(config: Config) -> bool:
    """`run` falls back to the console adapter: no platform token, a terminal on stdin."""
    return not (config.telegram.token or config.discord.token) and sys.stdin.isatty()


def opt_in_ptb_timedelta() -> None:
    """python-telegram-bot 22 reads this switch from the environment on every use, and
    warns on each RetryAfter without it; the process entry sets it, never an adapter."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")


def _telegram(config: Config, core: Core, on_exit: Callable[[], None]) -> Adapter:
    opt_in_ptb_timedelta()
    from adapters import telegram_adapter

    return telegram_adapter.create(config, core)


def _discord(config: Config, core: Core, on_exit: Callable[[], None]) -> Adapter:
    from adapters import discord_adapter

    return discord_adapter.create(config, core)


def _telegram_sender(config: Config, core: Core, on_exit: Callable[[], None]) -> Adapter:
    opt_in_ptb_timedelta()
    from adapters import telegram_adapter

    return telegram_adapter.create_sender(config, core)


def _discord_sender(config: Config, core: Core, on_exit: Callable[[], None]) -> Adapter:
    from adapters import discord_adapter

    return discord_adapter.create_sender(config, core)


def _console(config: Config, core: Core, on_exit: Callable[[], None]) -> Adapter:
    from adapters.console import ConsoleAdapter

    history = Path(config.storage.path).parent / "console_history"
    return ConsoleAdapter(core, on_exit=on_exit, history=history)


def _web(config: Config, core: Core) -> Service:
    from adapters import web

    return web.create(config, core)


def feeds_wanted(config: Config) -> bool:
    """The poller runs when `[[feeds]]` lists feeds or the store holds some (PostgreSQL:
    always, as it cannot be asked before the loop runs; an empty round costs one query)."""
    from bot.store.feeds import has_stored_feeds

    return bool(config.feeds) or bool(config.storage.url) or has_stored_feeds(config.storage.path)


def _feeds(config: Config, core: Core) -> Service:
    from bot.ingest.feeds.runner import FeedRunner

    return FeedRunner(core.start_feeds, core.poll_due_feeds)


ROLES: tuple[Role, ...] = (
    Role("telegram", lambda c: bool(c.telegram.token), build=_telegram, send=_telegram_sender),
    Role("discord", lambda c: bool(c.discord.token), build=_discord, send=_discord_sender),
    Role("console", console_run, build=_console),
    Role("web", lambda c: c.web.enabled, serve=_web),
    Role("feeds", feeds_wanted, serve=_feeds),
    Role("scheduler", lambda c: True),
)


def chosen_roles(
    config: Config, only: Sequence[str] | None = None, table: Sequence[Role] = ROLES
) -> list[Role]:
    """The roles this process runs: the named ones, or every one the config turns on."""
    if only is None:
        return [role for role in table if role.wanted(config)]
    known = [role.name for role in table]
    unknown = [name for name in only if name not in known]
    if unknown:
        raise BadArguments(f"unknown role {unknown[0]!r} (one of: {', '.join(known)})")
    return [role for role in table if role.name in only]


def platform_roles(config: Config) -> list[str]:
    """The chat platforms with a token: what a scheduler or `digest --send` delivers through."""
    return [r.name for r in ROLES if r.name in ("telegram", "discord") and r.wanted(config)]


class App:
    """Everything one process runs, as one async context manager."""

    def __init__(
        self,
        config: Config,
        *,
        only: Sequence[str] | None = None,
        seed: bool = True,
        roles: Sequence[Role] = ROLES,
    ) -> None:
        self.config = config
        self.table = roles
        self.roles = chosen_roles(config, only, roles)
        self.seed = seed
        self.adapters: list[Adapter] = []
        self.outbound: list[Adapter] = []  # send-only connections the scheduler opened
        self.services: list[Service] = []
        self.scheduler: DigestScheduler | None = None
        self._core: Core | None = None
        self._stack = AsyncExitStack()
        self._stop = asyncio.Event()

    @property
    def core(self) -> Core:
        """The core this app opened (only inside `async with`)."""
        if self._core is None:
            raise RuntimeError("App.core is only available inside `async with App(...)`")
        return self._core

    async def __aenter__(self) -> App:
        try:
            self._catch_signals()
            self._core = await Core.open(self.config)
            self._stack.push_async_callback(self._close_core)
            if self.seed:
                await self._seed_if_empty()
            for role in self.roles:
                await self._enter(role)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        event(log, "stopping")
        await self._stack.aclose()
        event(log, "stopped")

    async def _close_core(self) -> None:
        core, self._core = self._core, None
        if core is not None:
            await core.aclose()

    async def _enter(self, role: Role) -> None:
        if role.build is not None:
            adapter = role.build(self.config, self.core, self.stop)
            await self._stack.enter_async_context(adapter)
            self.adapters.append(adapter)
            return
        if role.serve is not None:
            service = role.serve(self.config, self.core)
            await self._stack.enter_async_context(service)
            self.services.append(service)
            return
        from bot.digests.scheduler import DigestScheduler

        await self._open_outbound()
        # the scheduler pauses and resumes the digest service around its passes
        scheduler = DigestScheduler(self.core.digests, self.senders, self.config)
        self.scheduler = await self._stack.enter_async_context(scheduler)

    async def _open_outbound(self) -> None:
        """Send-only connections for every platform with a token this process does not
        receive on: a `scheduler` process delivers everywhere and receives nothing."""
        for role in self.table:
            if role.send is None or role.name in self.senders or not role.wanted(self.config):
                continue
            sender = role.send(self.config, self.core, self.stop)
            await self._stack.enter_async_context(sender)
            self.outbound.append(sender)

    async def _seed_if_empty(self) -> None:
        report = await self.core.seed_if_empty()
        if report is not None:
            event(log, "seeds", added=report.added)

    @property
    def senders(self) -> dict[str, Sender]:
        """Every running adapter (or send-only connection) by platform: where digests go."""
        return {a.platform: a for a in (*self.adapters, *self.outbound)}

    def stop(self) -> None:
        """Ask run() to return (signals, the console's /quit)."""
        self._stop.set()

    def _catch_signals(self) -> None:
        """From the first step of start-up, SIGINT and SIGTERM ask for a clean stop (a
        signal during start-up lets it finish, then run() returns at once)."""
        loop = asyncio.get_running_loop()
        for sig, handler in ((signal.SIGINT, self._interrupt), (signal.SIGTERM, self.stop)):
            loop.add_signal_handler(sig, handler)
            self._stack.callback(loop.remove_signal_handler, sig)

    def _interrupt(self) -> None:
        """Ctrl-C cancels a console request in flight; otherwise it stops the app."""
        if not any(a.interrupt() for a in self.adapters if isinstance(a, Interruptible)):
            self.stop()

    async def run(self) -> None:
        """Run until SIGINT or SIGTERM (or stop()); the caller's `async with` then stops."""
        names = ",".join(p.platform for p in (*self.adapters, *self.services)) or "-"
        sending = ",".join(s.platform for s in self.outbound) or "-"
        if not (self.adapters or self.services or self.outbound):
            event(log, "idle", reason="no platform token configured and no terminal on stdin")
        event(log, "running", adapters=names, send_only=sending)
        await self._stop.wait()

    async def send_due_digests(self) -> DeliveryReport:
        """`digest --send`: every due digest now, through the adapters and the console;
        platforms this process does not receive on get send-only connections, so it runs
        beside `run` without taking its updates or its gateway."""
        from adapters.console import ConsoleAdapter

        await self._open_outbound()

        senders: dict[str, Sender] = {"console": ConsoleAdapter(self.core), **self.senders}
        return await self.core.send_due_digests(senders)


def print_replies(replies: Sequence[Reply]) -> None:
    """The CLI's human output: replies rendered the way the console adapter shows them,
    without the chat's command hints (`/related 12` means nothing to a shell)."""
    from adapters.console import print_replies as console_print

    console_print(replies, hints=False)
