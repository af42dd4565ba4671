"""Analyses in each channel's language, end to end through the core: the real Claude
analyser against the local Messages API server, the real fetcher against the local site."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.config import Config
from bot.core import Core
from bot.errors import BadArguments
from bot.languages import MAX_LANGUAGES_AT_ONCE, check_languages
from bot.models import ChannelRef, Reply, Request
from tests.support.anthropic_server import AnthropicServer, serve, user_text
from tests.support.languages import polyglot
from tests.support.site import Site, article_html
from tests.test_claude import claude_config

GERMAN = ChannelRef("telegram", "-100111")
JAPANESE = ChannelRef("discord", "222")


def ask(command: str, text: str, channel: ChannelRef, **kw: object) -> Request:
    return Request(command, text, channel, user=f"u-{channel.id}", **kw)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[AnthropicServer]:
    async with serve() as server:
        server.responder = polyglot
        yield server


@pytest.fixture
async def claude_core(config: Config, server: AnthropicServer) -> AsyncIterator[Core]:
    configured = claude_config(config, server).with_overrides(analyzer={"backend": "claude"})
    core = await Core.open(configured)
    yield core
    await core.aclose()


async def one(core: Core, request: Request) -> Reply:
    (reply,) = await core.handle(request)
    return reply


async def set_languages(core: Core) -> None:
    for channel, code in ((GERMAN, "de"), (JAPANESE, "ja")):
        reply = await one(core, ask("language", code, channel, is_admin=True))
        assert reply.kind == "info", reply.plain_text()


async def test_two_channels_two_variants_one_call_each_and_a_third_asks_nothing(
    claude_core: Core, server: AnthropicServer, article_site: Site
) -> None:
    await set_languages(claude_core)
    url = article_site.add_page("/transit.html", article_html("Council approves transport budget"))
    german = await one(claude_core, ask("analyze", url, GERMAN))
    assert german.kind == "analysis", german.plain_text()
    assert server.count() == 1
    japanese = await one(claude_core, ask("analyze", url, JAPANESE))
    assert japanese.kind == "analysis", japanese.plain_text()
    assert server.count() == 2
    assert "<analysis>" in user_text(server.message_bodies[1])  # made from the stored one
    assert article_site.hits["/transit.html"] == 1  # never a second fetch
    third = await one(claude_core, ask("analyze", url, ChannelRef("telegram", "9"), language="de"))
    assert server.count() == 2
    assert third.analysis_id == german.analysis_id
    de = await claude_core.analysis(str(german.analysis_id))
    ja = await claude_core.analysis(str(japanese.analysis_id))
    assert (de.language, ja.language) == ("de", "ja")
    assert "Rat der Stadt" in german.plain_text()
    assert "市議会" in japanese.plain_text()
    assert await claude_core.variants(de) == ("de", "ja")


async def test_usage_and_cost_are_recorded_per_variant(
    claude_core: Core, server: AnthropicServer, article_site: Site
) -> None:
    await set_languages(claude_core)
    url = article_site.add_page("/usage.html", article_html("Council approves transport budget"))
    german = await one(claude_core, ask("analyze", url, GERMAN))
    japanese = await one(claude_core, ask("analyze", url, JAPANESE))
    de = await claude_core.analysis(str(german.analysis_id))
    ja = await claude_core.analysis(str(japanese.analysis_id))
    fresh, second = de.generator.usage, ja.generator.usage
    assert second.input_tokens > 0 and second.output_tokens > 0
    assert second.input_tokens + second.cache_creation_tokens + second.cache_read_tokens < (
        fresh.input_tokens + fresh.cache_creation_tokens + fresh.cache_read_tokens
    )
    assert ja.generator.prompt_version == "claude-translate-v1"
    totals = await claude_core.stats()
    assert totals.generations == 2
    assert totals.analyses == 2


async def test_single_flight_per_url_and_language(
    claude_core: Core, server: AnthropicServer, article_site: Site
) -> None:
    await set_languages(claude_core)
    url = article_site.add_page("/burst.html", article_html("Council approves transport budget"))
    first = await one(claude_core, ask("analyze", url, GERMAN))
    burst = [ask("analyze", url, JAPANESE) for _ in range(5)]
    replies = await asyncio.gather(*(claude_core.handle(r) for r in burst))
    assert {r[0].analysis_id for r in replies} != {first.analysis_id}
    assert len({r[0].analysis_id for r in replies}) == 1
    assert server.count() == 2


async def test_language_without_argument_shows_it(claude_core: Core) -> None:
    shown = await one(claude_core, ask("language", "", GERMAN))
    assert "each article's own language" in shown.plain_text()
    await set_languages(claude_core)
    shown = await one(claude_core, ask("language", "", GERMAN))
    assert "Deutsch (de)" in shown.plain_text()


async def test_the_platform_hint_is_used_until_the_channel_chooses(claude_core: Core) -> None:
    hinted = ask("language", "", ChannelRef("discord", "5"), language="ja")
    assert "日本語 (ja)" in (await one(claude_core, hinted)).plain_text()
    strange = ask("language", "", ChannelRef("discord", "6"), language="x-klingon")
    assert "each article's own language" in (await one(claude_core, strange)).plain_text()


async def test_only_admins_set_the_language(claude_core: Core) -> None:
    reply = await one(claude_core, ask("language", "de", GERMAN))
    assert reply.error == "forbidden"
    assert "Only an admin" in reply.plain_text()


async def test_an_unknown_code_is_named_with_valid_ones(claude_core: Core) -> None:
    reply = await one(claude_core, ask("language", "xx", GERMAN, is_admin=True))
    assert reply.error == "unknown-language"
    assert "'xx'" in reply.plain_text()
    assert "de (Deutsch)" in reply.plain_text()


async def test_a_language_the_model_does_not_write_well_is_refused_plainly(
    claude_core: Core,
) -> None:
    reply = await one(claude_core, ask("language", "gd", GERMAN, is_admin=True))
    assert reply.error == "unsupported-language"
    assert "not written in 'gd'" in reply.plain_text()
    assert "ja" in reply.plain_text()


def test_twenty_languages_at_once_are_refused_with_the_bound() -> None:
    codes = "de fr es it pt nl pl ru uk tr ar he ja ko zh en de fr es it"
    with pytest.raises(BadArguments) as refused:
        check_languages(codes)
    assert f"at most {MAX_LANGUAGES_AT_ONCE}" in refused.value.message
    assert "20 languages" in refused.value.message or "16 languages" in refused.value.message


async def test_twenty_languages_cost_nothing(
    claude_core: Core, server: AnthropicServer, article_site: Site
) -> None:
    url = article_site.add_page("/many.html", article_html("Council approves transport budget"))
    request = ask("analyze", url, GERMAN)
    codes = ",".join(["de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "tr"] * 2)
    with pytest.raises(BadArguments):
        await claude_core.resolve_languages(url, request, codes)
    assert server.count() == 0
    assert article_site.hits["/many.html"] == 0


async def test_a_few_languages_at_once_make_one_variant_each(
    claude_core: Core, server: AnthropicServer, article_site: Site
) -> None:
    url = article_site.add_page("/few.html", article_html("Council approves transport budget"))
    found = await claude_core.resolve_languages(url, ask("analyze", url, GERMAN), "de,ja,de")
    assert [r.analysis.language for r in found] == ["de", "ja"]
    assert server.count() == 2


async def test_the_offline_analyser_says_it_cannot_translate(
    core: Core, article_site: Site
) -> None:
    set_reply = await one(core, ask("language", "de", GERMAN, is_admin=True))
    assert "Offline-Analysator" in set_reply.plain_text()
    url = article_site.add_page("/offline.html", article_html("Council approves transport budget"))
    reply = await one(core, ask("analyze", url, GERMAN))
    assert reply.kind == "analysis"
    analysis = await core.analysis(str(reply.analysis_id))
    assert analysis.language == "en"
    assert "kann nicht übersetzen" in reply.plain_text()
    assert "English" in reply.plain_text()
