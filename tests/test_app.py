"""The composition root: roles chosen from the config, start-up and shutdown in order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import TracebackType
from typing import Self

import httpx
import pytest

from bot.app import ROLES, App, Role, chosen_roles, platform_roles
from bot.config import Config
from bot.core import Core
from bot.errors import BadArguments
from bot.models import ChannelRef, Reply


class Recorder:
    """An adapter that writes its lifecycle into a shared log."""

    def __init__(self, platform: str, log: list[str]) -> None:
        self.platform = platform
        self.log = log

    async def start(self) -> None:
        self.log.append(f"start {self.platform}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.platform}")

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        self.log.append(f"send {self.platform}")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def recording_roles(log: list[str]) -> list[Role]:
    def build(name: str) -> Callable[[Config, Core, Callable[[], None]], Recorder]:
        return lambda config, core, on_exit: Recorder(name, log)

    return [
        Role("first", lambda c: True, build("first")),
        Role("second", lambda c: True, build("second")),
        Role("scheduler", lambda c: True, None),
    ]


def test_the_config_turns_roles_on(config: Config) -> None:
    assert [r.name for r in chosen_roles(config)] == ["scheduler"]  # no token, no terminal
    tokens = config.with_overrides(telegram={"token": "1:a"}, discord={"token": "d"})
    assert [r.name for r in chosen_roles(tokens)] == ["telegram", "discord", "scheduler"]
    assert platform_roles(tokens) == ["telegram", "discord"]
    assert platform_roles(config) == []


def test_an_unknown_role_is_named(config: Config) -> None:
    with pytest.raises(BadArguments, match="unknown role 'webhook' \\(one of: telegram, discord"):
        chosen_roles(config, ["scheduler", "webhook"])
    assert [r.name for r in ROLES][-1] == "scheduler"  # built last: it sends through the rest


async def test_parts_start_in_order_and_stop_in_reverse(config: Config) -> None:
    log: list[str] = []
    async with App(config, roles=recording_roles(log), seed=False) as app:
        scheduler = app.scheduler
        assert scheduler is not None and scheduler.running
        assert set(app.senders) == {"first", "second"}
        app.stop()
        await app.run()
        assert await app.core.stats() is not None
    assert log == ["start first", "start second", "stop second", "stop first"]
    assert app.scheduler is not None and not app.scheduler.running
    with pytest.raises(RuntimeError, match="only available inside"):
        app.core  # noqa: B018 - the core is closed with the app


async def test_a_failed_start_closes_what_had_started(config: Config) -> None:
    log: list[str] = []

    def broken(config: Config, core: Core, on_exit: Callable[[], None]) -> Recorder:
        raise BadArguments("no such platform")

    roles = [*recording_roles(log)[:1], Role("broken", lambda c: True, broken)]
    app = App(config, roles=roles, seed=False)
    with pytest.raises(BadArguments, match="no such platform"):
        async with app:
            pass
    assert log == ["start first", "stop first"]
    with pytest.raises(RuntimeError):
        app.core  # noqa: B018


async def test_an_empty_store_is_seeded_once(config: Config) -> None:
    async with App(config, only=[]) as app:
        first = await app.core.stats()
    async with App(config, only=[]) as again:
        assert await again.core.stats() == first
    assert first.analyses > 0


async def test_the_web_role_serves_the_site_beside_the_rest(config: Config) -> None:
    """`[web] enabled` makes `run` serve the site on the same loop; it sends no digests."""
    web = dataclasses.replace(config.web, enabled=True, port=0)
    enabled = dataclasses.replace(config, web=web)
    assert "web" in [r.name for r in chosen_roles(enabled)]
    assert "web" not in [r.name for r in chosen_roles(config)]
    async with App(enabled, only=["web"], seed=False) as app:
        [site] = app.services
        assert app.senders == {}  # the site is not a digest channel
        async with httpx.AsyncClient() as client:
            answer = await client.get(site.url + "/healthz")
        assert answer.status_code == 200
