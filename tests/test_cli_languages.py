"""`prism-bot analyze URL --language CODE[,CODE]`: variants from the command line, with
the analysis JSON's `language` and `variants`, and its bad input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.anthropic_server import API_KEY, AnthropicServer, serve
from tests.support.languages import polyglot
from tests.support.site import Site, article_html
from tests.test_claude import MODEL
from tests.test_cli import cli


@pytest.fixture
async def server() -> AsyncIterator[AnthropicServer]:
    async with serve() as server:
        server.responder = polyglot
        yield server


@pytest.fixture
def claude_file(tmp_path: Path, server: AnthropicServer) -> Path:
    path = tmp_path / "prism.toml"
    path.write_text(
        f'[storage]\npath = "{tmp_path / "cli.db"}"\n'
        '[fetch]\nallow_networks = ["127.0.0.0/8"]\ntimeout_s = 5.0\n'
        '[analyzer]\nbackend = "claude"\n'
        f'[anthropic]\napi_key = "{API_KEY}"\nbase_url = "{server.base_url}"\n'
        f'model = "{MODEL}"\nmax_retries = 0\n'
    )
    return path


async def test_two_languages_print_two_variants(
    claude_file: Path, server: AnthropicServer, article_site: Site
) -> None:
    url = article_site.add_page("/cli.html", article_html("Council approves transport budget"))
    code, out, err = await cli(
        "analyze", url, "--language", "de,ja", "--json", "--config", str(claude_file)
    )
    assert code == 0, err
    first, second = json.loads(out)
    assert (first["language"], second["language"]) == ("de", "ja")
    assert second["variants"] == ["de", "ja"]
    assert server.count() == 2
    code, out, err = await cli(
        "analyze", url, "--language", "ja", "--json", "--config", str(claude_file)
    )
    again = json.loads(out)
    assert (again["id"], again["cached"], again["language"]) == (second["id"], True, "ja")
    assert server.count() == 2


async def test_an_unknown_code_is_one_line_naming_the_kind(claude_file: Path) -> None:
    code, out, err = await cli(
        "analyze", "https://news.example/a", "--language", "xx", "--config", str(claude_file)
    )
    assert code != 0 and out == ""
    assert err.startswith("prism-bot: unknown-language:")
    assert "'xx'" in err


async def test_twenty_languages_are_refused_with_the_bound(
    claude_file: Path, server: AnthropicServer
) -> None:
    codes = ",".join(["de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "tr"] * 2)
    code, _, err = await cli(
        "analyze", "https://news.example/a", "--language", codes, "--config", str(claude_file)
    )
    assert code != 0
    assert "at most 4 per request" in err
    assert server.count() == 0
