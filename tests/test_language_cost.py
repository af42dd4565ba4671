"""Issue 15's cost target: a second-language variant runs on `[anthropic]
translation_model` and every model's tokens are priced at that model's rates."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.analyzers.pricing import MODEL_PRICES, model_cost, prices_for, total_cost
from bot.config import AnthropicConfig, Config
from bot.core import Core
from bot.errors import ConfigError
from bot.models import ChannelRef, Generator, Reply, Request, Usage
from tests.support.anthropic_server import AnthropicServer, Behaviour, reply, serve
from tests.support.languages import is_translation, polyglot
from tests.support.process import spawn_bot
from tests.support.site import Site, article_html
from tests.test_claude import claude_config

MAIN = "claude-sonnet-4-6"
CHEAP = "claude-haiku-4-5"
GERMAN = ChannelRef("telegram", "-100111")
JAPANESE = ChannelRef("discord", "222")


def ask(command: str, text: str, channel: ChannelRef, *, admin: bool = False) -> Request:
    return Request(command, text, channel, user=f"u-{channel.id}", is_admin=admin)


async def one(core: Core, request: Request) -> Reply:
    (answer,) = await core.handle(request)
    return answer


@pytest.fixture
async def server() -> AsyncIterator[AnthropicServer]:
    async with serve() as server:
        server.responder = polyglot
        yield server


async def open_core(config: Config, server: AnthropicServer, **anthropic: Any) -> Core:
    configured = claude_config(config, server, model=MAIN, **anthropic)
    core = await Core.open(configured.with_overrides(analyzer={"backend": "claude"}))
    for channel, code in ((GERMAN, "de"), (JAPANESE, "ja")):
        answer = await one(core, ask("language", code, channel, admin=True))
        assert answer.kind == "info", answer.plain_text()
    return core


async def german_then_japanese(core: Core, site: Site, name: str) -> tuple[Reply, Reply]:
    url = site.add_page(f"/{name}.html", article_html("Council approves transport budget"))
    return await one(core, ask("analyze", url, GERMAN)), await one(
        core, ask("analyze", url, JAPANESE)
    )


async def test_a_variant_runs_on_the_translation_model_and_a_fresh_analysis_on_the_main(
    config: Config, server: AnthropicServer, article_site: Site
) -> None:
    core = await open_core(config, server)
    try:
        german, japanese = await german_then_japanese(core, article_site, "models")
        de = await core.analysis(str(german.analysis_id))
        ja = await core.analysis(str(japanese.analysis_id))
        totals = await core.stats()
    finally:
        await core.aclose()
    bodies = server.message_bodies
    assert [(is_translation(b), b["model"]) for b in bodies] == [(False, MAIN), (True, CHEAP)]
    assert (de.generator.model, ja.generator.model) == (MAIN, CHEAP)
    assert ja.language == "ja"
    assert set(totals.by_model) == {MAIN, CHEAP}
    assert totals.by_model[MAIN] == de.generator.usage
    assert totals.by_model[CHEAP] == ja.generator.usage
    assert totals.by_model[CHEAP].output_tokens > 0


async def test_an_empty_translation_model_means_the_main_model(
    config: Config, server: AnthropicServer, article_site: Site
) -> None:
    core = await open_core(config, server, translation_model="")
    try:
        await german_then_japanese(core, article_site, "same")
    finally:
        await core.aclose()
    assert [b["model"] for b in server.message_bodies] == [MAIN, MAIN]


async def test_a_variant_in_the_wrong_language_is_repaired_on_the_translation_model(
    config: Config, server: AnthropicServer, article_site: Site
) -> None:
    """The quality guard: the validator's language check runs on translations too."""
    wrong: list[bool] = []

    def stubborn(body: dict[str, Any]) -> Behaviour:
        if is_translation(body) and not wrong:  # first try: the German analysis, unchanged
            wrong.append(True)
            german = json.loads(polyglot(server.message_bodies[0]).text)
            return reply({**german, "language": "ja"})  # German text labelled Japanese
        return polyglot(body)

    server.responder = stubborn
    core = await open_core(config, server)
    try:
        _, japanese = await german_then_japanese(core, article_site, "repair")
        ja = await core.analysis(str(japanese.analysis_id))
    finally:
        await core.aclose()
    bodies = server.message_bodies
    assert [b["model"] for b in bodies] == [MAIN, CHEAP, CHEAP]
    repair = json.dumps(bodies[2]["messages"], ensure_ascii=False)
    assert "not written in 'ja'" in repair  # the text itself was checked, not the label
    assert ja.language == "ja" and ja.generator.model == CHEAP


def test_the_main_model_is_priced_at_the_configured_keys_others_from_the_table() -> None:
    config = AnthropicConfig(model=MAIN, price_input=2.0, price_output=10.0)
    assert prices_for(MAIN, config) is config
    assert prices_for(CHEAP, config) == MODEL_PRICES["claude-haiku-4-5"]
    assert prices_for("claude-haiku-4-5-20251001", config) == MODEL_PRICES["claude-haiku-4-5"]
    assert prices_for("some-proxy-model", config) is config
    assert prices_for("", config) is config
    million = Usage(output_tokens=1_000_000)
    assert model_cost(million, MAIN, config) == pytest.approx(10.0)
    assert model_cost(million, CHEAP, config) == pytest.approx(5.0)


def test_costs_sum_per_model_at_each_models_prices() -> None:
    config = AnthropicConfig(model=MAIN)
    by_model = {
        MAIN: Usage(input_tokens=2000, output_tokens=1000, cache_read_tokens=3000),
        CHEAP: Usage(input_tokens=1000, output_tokens=1000, cache_creation_tokens=2000),
        "offline": Usage(),
    }
    main = (2000 * 3.0 + 1000 * 15.0 + 3000 * 0.30) / 1e6
    cheap = (1000 * 1.0 + 1000 * 5.0 + 2000 * 1.25) / 1e6
    assert total_cost(by_model, config) == pytest.approx(main + cheap)
    assert total_cost({}, config) == 0.0


def test_a_bad_translation_model_is_named() -> None:
    with pytest.raises(ConfigError, match=r"\[anthropic\] translation_model"):
        AnthropicConfig(translation_model="haiku please").validate()
    assert AnthropicConfig(translation_model="").translator == AnthropicConfig().model
    assert AnthropicConfig().translator == CHEAP


async def test_stats_json_sums_cost_per_model(config: Config, tmp_path: Path) -> None:
    core = await Core.open(config)
    try:
        for model, usage in (
            (MAIN, Usage(input_tokens=4000, output_tokens=2000)),
            (CHEAP, Usage(input_tokens=1000, output_tokens=2000)),
            (CHEAP, Usage(input_tokens=1000, output_tokens=2000)),
        ):
            generator = Generator("claude", model, "v", usage)
            await core.store.usage.record("generation", generator=generator)
    finally:
        await core.aclose()
    path = tmp_path / "stats.toml"
    path.write_text(f'[storage]\npath = "{config.storage.path}"\n')
    proc = await spawn_bot("stats", "--json", "--config", str(path))
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    stats = json.loads(out)
    main = (4000 * 3.0 + 2000 * 15.0) / 1e6
    cheap = (2000 * 1.0 + 4000 * 5.0) / 1e6
    assert stats["estimated_cost_usd"] == round(main + cheap, 4)
    assert type(stats["input_tokens"]) is int and stats["input_tokens"] == 6000
    assert stats["by_model"][CHEAP]["output_tokens"] == 4000
