"""API faults, the offline fallback, batches, and the Claude analyser through the core."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.analyzers import FallbackAnalyzer, build_analyzer
from bot.analyzers.claude import BUSY, UNAVAILABLE, ClaudeAnalyzer
from bot.config import Config
from bot.core import Core
from bot.errors import AnalysisUnavailable, ConfigError, GeneratorBusy, InvalidAnalysis
from bot.models import ChannelRef, Draft, Request
from tests.support.anthropic_server import (
    API_KEY,
    AnthropicServer,
    Behaviour,
    echo,
    error,
    hang,
    reply,
    serve,
)
from tests.support.site import Site
from tests.test_claude import MODEL, claude_config, good_analysis, make_article


@pytest.fixture
async def server() -> AsyncIterator[AnthropicServer]:
    async with serve() as server:
        yield server


async def analyze_with(config: Config, server: AnthropicServer, **anthropic: object) -> Draft:
    analyzer = ClaudeAnalyzer.from_config(claude_config(config, server, **anthropic))
    try:
        return await analyzer.analyze(make_article())
    finally:
        await analyzer.aclose()


# --- retried faults ----------------------------------------------------------------------------


async def test_529_twice_then_success(config: Config, server: AnthropicServer) -> None:
    server.script.extend([error(529), error(529), reply(good_analysis())])
    draft = await analyze_with(config, server, max_retries=2)
    assert server.count() == 3
    assert draft.category == "Economy"


async def test_529_beyond_the_retries_is_busy(config: Config, server: AnthropicServer) -> None:
    server.script.extend([error(529)] * 3)
    with pytest.raises(GeneratorBusy) as caught:
        await analyze_with(config, server, max_retries=2)
    assert str(caught.value) == BUSY == "the analyser is busy, try again in a minute"
    assert server.count() == 3


async def test_429_with_retry_after_is_retried(config: Config, server: AnthropicServer) -> None:
    server.script.extend([error(429, retry_after_ms=20, retry_after="1"), reply(good_analysis())])
    draft = await analyze_with(config, server, max_retries=1)
    assert server.count() == 2
    assert draft.headline.startswith("Northport")


async def test_500_beyond_the_retries_is_busy(config: Config, server: AnthropicServer) -> None:
    server.script.extend([error(500), error(500)])
    with pytest.raises(GeneratorBusy, match="busy"):
        await analyze_with(config, server, max_retries=1)
    assert server.count() == 2


async def test_hang_beyond_the_timeout_is_busy(config: Config, server: AnthropicServer) -> None:
    server.script.append(hang(5.0))
    with pytest.raises(GeneratorBusy, match="busy"):
        await analyze_with(config, server, timeout_s=0.2, max_retries=0)
    assert server.count() == 1


# --- configuration faults: not retried ---------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_client_errors_are_unavailable_and_not_retried(
    config: Config, server: AnthropicServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    server.script.append(error(status))
    with (
        caplog.at_level(logging.ERROR, logger="bot.analyzers.claude"),
        pytest.raises(AnalysisUnavailable) as caught,
    ):
        await analyze_with(config, server, max_retries=2)
    assert str(caught.value) == UNAVAILABLE
    assert server.count() == 1
    assert f"status={status}" in caplog.text


async def test_wrong_key_is_logged_clearly_without_the_key(
    config: Config, server: AnthropicServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.api_key = "sk-ant-the-right-one"
    with caplog.at_level(logging.DEBUG), pytest.raises(AnalysisUnavailable):
        await analyze_with(config, server)
    assert "status=401 type=authentication_error" in caplog.text
    assert "invalid x-api-key" in caplog.text
    assert API_KEY not in caplog.text
    assert server.count() == 1


# --- fallback and wiring ------------------------------------------------------------------------


def test_auto_without_a_key_is_offline(config: Config) -> None:
    assert build_analyzer(config).backend == "offline"


def test_claude_without_a_key_names_the_key(config: Config) -> None:
    with pytest.raises(ConfigError, match=r"\[anthropic\] api_key: required"):
        build_analyzer(config.with_overrides(analyzer={"backend": "claude"}))


def test_forced_offline_ignores_the_key(config: Config) -> None:
    keyed = config.with_overrides(anthropic={"api_key": API_KEY}, analyzer={"backend": "offline"})
    assert build_analyzer(keyed).backend == "offline"


async def test_auto_with_a_key_is_claude_behind_the_fallback(
    config: Config, server: AnthropicServer
) -> None:
    analyzer = build_analyzer(claude_config(config, server))
    try:
        assert isinstance(analyzer, FallbackAnalyzer)
        assert (analyzer.backend, analyzer.model) == ("claude", MODEL)
    finally:
        await analyzer.aclose()


async def test_no_fallback_gives_claude_alone(config: Config, server: AnthropicServer) -> None:
    bare = claude_config(config, server).with_overrides(analyzer={"fallback": "none"})
    analyzer = build_analyzer(bare)
    try:
        assert isinstance(analyzer, ClaudeAnalyzer)
    finally:
        await analyzer.aclose()


@pytest.mark.parametrize(
    "script", [[error(529)] * 3, [error(401)], [reply({"headline": "x"}), reply("nope")]]
)
async def test_fallback_answers_offline_and_labelled(
    config: Config,
    server: AnthropicServer,
    script: list[Behaviour],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.script.extend(script)
    analyzer = build_analyzer(claude_config(config, server))
    try:
        with caplog.at_level(logging.WARNING, logger="bot.analyzers"):
            draft = await analyzer.analyze(make_article())
    finally:
        await analyzer.aclose()
    assert draft.generator.backend == "offline"
    assert draft.generator.model != MODEL
    assert "analyzer_fallback backend=offline" in caplog.text


# --- batches ---------------------------------------------------------------------------------


async def test_batch_of_five_through_the_batches_endpoints(
    config: Config, server: AnthropicServer
) -> None:
    server.responder = echo
    server.batch_polls_before_end = 2
    analyzer = ClaudeAnalyzer.from_config(claude_config(config, server))
    articles = [make_article(n=n, title=f"Northport story {n}") for n in range(5)]
    try:
        results = await analyzer.analyze_many(articles)
    finally:
        await analyzer.aclose()
    assert [r.headline for r in results if isinstance(r, Draft)] == [
        f"Northport story {n}" for n in range(5)
    ]
    assert server.count("/v1/messages/batches") == 1
    assert server.count("/v1/messages") == 0
    batch = server.requests[0].body
    assert [r["custom_id"] for r in batch["requests"]] == [f"article-{n}" for n in range(5)]
    assert all(r["params"]["system"][0]["cache_control"] for r in batch["requests"])


async def test_batch_items_fail_or_repair_one_by_one(
    config: Config, server: AnthropicServer
) -> None:
    server.script.extend([reply(good_analysis()), error(529), reply({"headline": "bad"})])
    server.script.append(reply(good_analysis()))  # the repair of item 3, as a normal call
    analyzer = ClaudeAnalyzer.from_config(claude_config(config, server))
    try:
        results = await analyzer.analyze_many([make_article(n=n) for n in range(3)])
    finally:
        await analyzer.aclose()
    assert isinstance(results[0], Draft)
    assert isinstance(results[1], GeneratorBusy)
    assert isinstance(results[2], Draft)
    assert server.count("/v1/messages") == 1


async def test_batch_item_invalid_after_repair_is_an_error(
    config: Config, server: AnthropicServer
) -> None:
    server.script.extend([reply("not json"), reply("still not json")])
    analyzer = ClaudeAnalyzer.from_config(claude_config(config, server))
    try:
        [result] = await analyzer.analyze_many([make_article()])
    finally:
        await analyzer.aclose()
    assert isinstance(result, InvalidAnalysis)


async def test_empty_batch_sends_nothing(config: Config, server: AnthropicServer) -> None:
    analyzer = ClaudeAnalyzer.from_config(claude_config(config, server))
    try:
        assert await analyzer.analyze_many([]) == []
    finally:
        await analyzer.aclose()
    assert server.requests == []


async def test_fallback_redoes_failed_batch_items_offline(
    config: Config, server: AnthropicServer
) -> None:
    server.script.extend([reply(good_analysis()), error(529)])
    analyzer = build_analyzer(claude_config(config, server))
    try:
        results = await analyzer.analyze_many([make_article(n=n) for n in range(2)])
    finally:
        await analyzer.aclose()
    backends = [r.generator.backend for r in results if isinstance(r, Draft)]
    assert backends == ["claude", "offline"]


# --- through the core and the CLI -------------------------------------------------------------


def _request(text: str) -> Request:
    return Request("analyze", text, ChannelRef("console", "local"), "tester", True, True)


async def test_core_stores_a_claude_analysis_with_usage(
    config: Config, server: AnthropicServer, article_site: Site
) -> None:
    server.responder = echo
    core = await Core.open(claude_config(config, server))
    try:
        [answer] = await core.handle(_request(article_site.url("/slow/council?ms=1")))
        assert answer.kind == "analysis", answer.plain_text()
        assert answer.analysis_id is not None
        stored = await core.store.analyses.by_id(answer.analysis_id)
    finally:
        await core.aclose()
    assert stored is not None
    assert (stored.generator.backend, stored.generator.model) == ("claude", MODEL)
    assert stored.generator.prompt_version == "claude-v1"
    assert stored.generator.usage.output_tokens > 0
    assert stored.generator.usage.cache_creation_tokens > 0
    assert 3 <= len(stored.sections) <= 5


async def test_cli_analyze_json_with_the_environment_key(
    tmp_path: Path, server: AnthropicServer, article_site: Site
) -> None:
    import asyncio

    server.responder = echo
    config_file = tmp_path / "prism.toml"
    config_file.write_text(
        f'[storage]\npath = "{tmp_path / "cli.db"}"\n'
        '[fetch]\nallow_networks = ["127.0.0.0/8"]\n'
        f'[anthropic]\nbase_url = "{server.base_url}"\nmodel = "{MODEL}"\nmax_retries = 0\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISM_", "ANTHROPIC_"))}
    env["ANTHROPIC_API_KEY"] = API_KEY
    url = article_site.url("/slow/council?ms=1")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "analyze",
        url,
        "--json",
        "--config",
        str(config_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    data = json.loads(out)
    assert data["generator"]["backend"] == "claude"
    assert data["generator"]["model"] == MODEL
    assert 3 <= len(data["sections"]) <= 5
    assert server.count() == 1
    assert API_KEY not in err.decode() + out.decode()
