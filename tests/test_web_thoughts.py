"""Readers' Thoughts through the core and the CLI; web config; links from messages to pages."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from pathlib import Path

import httpx
import pytest

from bot.config import Config, build_config
from bot.core import Core
from bot.errors import BadArguments, ConfigError, NotFound
from bot.models import ChannelRef, Request, Thoughts
from bot.permalinks import page_path, slugify
from tests.support.process import spawn_bot
from tests.support.site import Site


async def _seeded(core: Core) -> int:
    await core.import_seeds()
    return (await core.recent(1))[0].id


async def test_one_reaction_per_reader_changeable(core: Core) -> None:
    ident = await _seeded(core)
    assert await core.react(ident, "telegram:1", "useful") == Thoughts(1, 0)
    assert await core.react(ident, "telegram:1", "useful") == Thoughts(1, 0)
    assert await core.react(ident, "discord:1", "inaccurate") == Thoughts(1, 1)
    assert await core.react(ident, "telegram:1", "inaccurate") == Thoughts(0, 2)
    assert await core.thoughts(ident) == Thoughts(0, 2)


async def test_bad_reactions_get_specific_errors(core: Core) -> None:
    ident = await _seeded(core)
    with pytest.raises(BadArguments, match="unknown reaction 'love'"):
        await core.react(ident, "web:x", "love")
    with pytest.raises(BadArguments, match="needs a reader"):
        await core.react(ident, " ", "useful")
    with pytest.raises(NotFound, match="no analysis #424242"):
        await core.react(424242, "web:x", "useful")


async def test_review_lists_analyses_flagged_often_enough(core: Core) -> None:
    ident = await _seeded(core)
    other = (await core.recent(2))[1].id
    for reader in ("a", "b"):
        await core.react(ident, reader, "inaccurate")
    await core.react(other, "a", "inaccurate")
    assert await core.review() == []  # review_after = 3
    await core.react(ident, "c", "inaccurate")
    flagged = await core.review()
    assert [(a.id, t) for a, t in flagged] == [(ident, Thoughts(0, 3))]
    assert [a.id for a, _ in await core.review(threshold=1)] == [ident, other]


async def test_forgetting_an_analysis_forgets_its_thoughts(core: Core) -> None:
    ident = await _seeded(core)
    await core.react(ident, "a", "useful")
    await core.forget(str(ident))
    assert await core.thoughts(ident) == Thoughts(0, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"web": {"port": 70000}}, r"\[web\] port"),
        ({"web": {"port": -1}}, r"\[web\] port"),
        ({"web": {"base_url": "ftp://x"}}, r"\[web\] base_url"),
        ({"web": {"listen": " "}}, r"\[web\] listen"),
        ({"web": {"posts_per_minute": 0}}, r"\[web\] posts_per_minute"),
        ({"web": {"enabled": "yes"}}, r"\[web\] enabled"),
        ({"thoughts": {"review_after": 0}}, r"\[thoughts\] review_after"),
    ],
)
def test_bad_web_settings_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config(data, env={}, source="test")


def test_public_url_defaults_to_listen_and_port() -> None:
    config = build_config({"web": {"port": 9000}}, env={}, source="test")
    assert config.web.public_url() == "http://127.0.0.1:9000"
    env = {"PRISM_WEB_BASE_URL": "https://news.example/"}
    assert build_config({}, env=env, source="t").web.public_url() == "https://news.example"


def test_slugs_are_ascii_words() -> None:
    assert slugify("Ça coûte 4,7 milliards — ¿por qué?") == "ca-coute-4-7-milliards-por-que"
    assert page_path(7, "</script>") == "/a/7-script"
    assert page_path(7, "日本語") == "/a/7"


async def test_replies_link_to_the_page_when_base_url_is_set(config: Config) -> None:
    web = config.with_overrides(web={"base_url": "https://news.example"})
    async with _core(web) as core:
        ident = await _seeded(core)
        reply = (await core.handle(_request("show", str(ident))))[0]
        analysis = await core.analysis(str(ident))
    actions = {a.kind: a for a in reply.actions}
    assert actions["web"].label == "Read on the web"
    assert actions["web"].url == "https://news.example" + page_path(ident, analysis.headline)


async def test_replies_carry_no_page_link_without_base_url(core: Core) -> None:
    ident = await _seeded(core)
    reply = (await core.handle(_request("show", str(ident))))[0]
    assert "web" not in {a.kind for a in reply.actions}


def _request(command: str, text: str) -> Request:
    return Request(command, text, ChannelRef("console", "local"), "tester", is_admin=True)


class _core:
    def __init__(self, config: Config) -> None:
        self.config = config

    async def __aenter__(self) -> Core:
        self.core = await Core.open(self.config)
        return self.core

    async def __aexit__(self, *exc: object) -> None:
        await self.core.aclose()


# --- the CLI, as users run it ------------------------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "prism.toml"
    path.write_text(
        f'[storage]\npath = "{tmp_path / "cli.db"}"\n'
        '[fetch]\nallow_networks = ["127.0.0.0/8"]\ntimeout_s = 5.0\n'
        "[web]\nport = 0\n[thoughts]\nreview_after = 2\n"
    )
    return path


async def _cli(*args: str) -> tuple[int, str, str]:
    proc = await spawn_bot(*args)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_review_cli_lists_flagged_analyses(config_file: Path, tmp_path: Path) -> None:
    config = build_config({"storage": {"path": str(tmp_path / "cli.db")}}, env={}, source="test")
    async with _core(config) as core:
        ident = await _seeded(core)
        for reader in ("a", "b"):
            await core.react(ident, reader, "inaccurate")
    code, out, err = await _cli("review", "--json", "--config", str(config_file))
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["id"], r["inaccurate"], r["useful"]) for r in rows] == [(ident, 2, 0)]
    code, out, _ = await _cli("review", "--config", str(config_file))
    assert f"#{ident}  2 inaccurate" in out


async def test_web_cli_serves_the_site_until_sigterm(config_file: Path) -> None:
    proc = await spawn_bot("web", "--config", str(config_file))
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
    found = re.search(r"serving (http://127\.0\.0\.1:\d+)/", line)
    assert found, line
    async with httpx.AsyncClient(base_url=found.group(1)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/")).status_code == 200
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 30) == 0


async def test_analysis_json_counts_thoughts(config_file: Path, article_site: Site) -> None:
    url = article_site.url("/slow/council?ms=1")
    code, out, err = await _cli("analyze", url, "--json", "--config", str(config_file))
    assert code == 0, err
    data = json.loads(out)
    assert data["thoughts"] == {"useful": 0, "inaccurate": 0}
    config = build_config({"storage": {"path": str(config_file.parent / "cli.db")}}, {}, "t")
    async with _core(config) as core:
        await core.react(data["id"], "telegram:1", "inaccurate")
        await core.react(data["id"], "web:abc", "useful")
    code, out, err = await _cli("analyze", url, "--json", "--config", str(config_file))
    assert json.loads(out)["thoughts"] == {"useful": 1, "inaccurate": 1}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("useful", "Usage: /thought <useful|inaccurate> <analysis id>."),
        ("useful abc", "Usage: /thought <useful|inaccurate> <analysis id>."),
        ("love 1", "Unknown reaction 'love' (one of: useful, inaccurate)"),
        ("useful 424242", "There is no analysis #424242."),
    ],
)
async def test_the_thought_command_answers_bad_input_specifically(
    core: Core, text: str, error: str
) -> None:
    await core.import_seeds()
    [reply] = await core.handle(_request("thought", text))
    assert reply.kind == "error"
    assert reply.plain_text() == error


async def test_the_thought_command_thanks_with_the_counts(core: Core) -> None:
    ident = await _seeded(core)
    [reply] = await core.handle(_request("thought", f"useful {ident}"))
    assert reply.ephemeral
    assert "1 useful · 0 inaccurate" in reply.plain_text()
