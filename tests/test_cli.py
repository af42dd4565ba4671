"""The command-line contract, run as a user runs it: `python -m bot …` in a subprocess."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest

from tests.support.process import spawn_bot
from tests.support.site import Site

ANALYSIS_KEYS = {
    "id": int,
    "url": str,
    "canonical_url": str,
    "headline": str,
    "dek": str,
    "category": str,
    "sections": list,
    "reading_minutes": int,
    "language": str,
    "source": dict,
    "generator": dict,
    "created_at": str,
}
ARTICLE_KEYS = ("url", "canonical_url", "title", "author", "published_at", "site", "language")


async def cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    proc = await spawn_bot(*args, stdin=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "prism.toml"
    path.write_text(
        f'[storage]\npath = "{tmp_path / "cli.db"}"\n'
        '[fetch]\nallow_networks = ["127.0.0.0/8"]\ntimeout_s = 5.0\n'
    )
    return path


async def test_analyze_json_matches_the_contract(config_file: Path, article_site: Site) -> None:
    url = article_site.url("/slow/council?ms=1&utm_source=feed")
    code, out, err = await cli("analyze", url, "--json", "--config", str(config_file))
    assert code == 0, err
    data = json.loads(out)
    for key, kind in ANALYSIS_KEYS.items():
        assert isinstance(data[key], kind), key
    assert data["canonical_url"] == article_site.url("/slow/council?ms=1")
    assert set(data["source"]) >= {"url", "publisher", "title", "published_at"}
    assert set(data["generator"]) >= {"backend", "model"}
    assert data["generator"]["backend"] == "offline"
    assert all(set(s) == {"heading", "paragraphs"} for s in data["sections"])
    code, out, _ = await cli("analyze", url, "--json", "--config", str(config_file))
    again = json.loads(out)
    assert (again["id"], again["cached"]) == (data["id"], True)


async def test_analyze_failure_is_one_line_naming_the_kind(config_file: Path) -> None:
    code, out, err = await cli("analyze", "http://10.0.0.1:6379/", "--config", str(config_file))
    assert code != 0
    assert out == ""
    assert err.strip().count("\n") == 0
    assert err.startswith("prism-bot: blocked:")


async def test_extract_json_shows_the_article(config_file: Path, article_site: Site) -> None:
    url = article_site.url("/slow/council?ms=1")
    code, out, err = await cli("extract", url, "--json", "--config", str(config_file))
    assert code == 0, err
    data = json.loads(out)
    assert all(key in data for key in ARTICLE_KEYS)
    assert data["words"] >= 150 and len(data["text"]) > 500


async def test_config_errors_name_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[digest]\ntime = "25:99"\n')
    code, _, err = await cli("doctor", "--config", str(bad))
    assert code == 2
    assert (
        err.strip() == "prism-bot: config: [digest] time: '25:99' is not a time HH:MM (00:00-23:59)"
    )


async def test_chat_session_through_stdin(config_file: Path, article_site: Site) -> None:
    url = article_site.url("/slow/council?ms=1")
    script = f"/help\n{url}\n/related 1\n/analyze ftp://example.com/x\n/frobnicate\n"
    code, out, err = await cli("chat", "--config", str(config_file), stdin=script)
    assert code == 0, err
    assert "/subscribe" in out  # help
    assert "min read" in out and "not an analysis" in out  # the analysis
    assert "only http and https" in out.lower() or "not a link" in out.lower()
    assert "unknown command /frobnicate" in out.lower()


async def test_seeds_import_is_idempotent_and_stats_count_them(config_file: Path) -> None:
    code, out, err = await cli("seeds", "import", "--config", str(config_file))
    assert code == 0, err
    added = int(out.split(":")[1].split()[0])
    assert added >= 12
    code, out, _ = await cli("seeds", "import", "--config", str(config_file))
    assert "0 added" in out
    code, out, _ = await cli("stats", "--json", "--config", str(config_file))
    stats = json.loads(out)
    assert stats["analyses"] == added
    assert "estimated_cost_usd" in stats


async def test_forget_removes_an_analysis(config_file: Path, article_site: Site) -> None:
    url = article_site.url("/slow/council?ms=1")
    code, out, _ = await cli("analyze", url, "--json", "--config", str(config_file))
    ident = json.loads(out)["id"]
    code, out, err = await cli("forget", str(ident), "--config", str(config_file))
    assert code == 0, err
    code, _, err = await cli("forget", str(ident), "--config", str(config_file))
    assert code == 1 and err.startswith("prism-bot: not-found:")


async def test_doctor_shows_secrets_as_set_never_their_value(
    config_file: Path, tmp_path: Path
) -> None:
    secret = "sk-ant-secret-value-123456"
    text = config_file.read_text() + f'[anthropic]\napi_key = "{secret}"\n'
    config_file.write_text(text)
    code, out, err = await cli("doctor", "--config", str(config_file))
    assert code == 0, out + err
    assert secret not in out + err
    assert "[anthropic] api_key" in out and "set" in out
    assert "claude" in out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_run_without_terminal_or_token_stops_cleanly(config_file: Path, sig: int) -> None:
    proc = await spawn_bot("run", "--config", str(config_file))
    assert proc.stderr is not None
    seen = b""
    while b"event=running" not in seen:
        line = await asyncio.wait_for(proc.stderr.readline(), 30)
        assert line, seen.decode()
        seen += line
    proc.send_signal(sig)
    rest = await asyncio.wait_for(proc.stderr.read(), 30)
    assert await proc.wait() == 0
    assert b"event=stopped" in rest


async def test_digest_preview_and_send(config_file: Path, article_site: Site) -> None:
    url = article_site.page_url("economy-rates")
    script = f"/subscribe Economy\n{url}\n"
    code, _, err = await cli("chat", "--config", str(config_file), stdin=script)
    assert code == 0, err
    code, out, err = await cli(
        "digest", "--channel", "console:local", "--json", "--config", str(config_file)
    )
    assert code == 0, err
    preview = json.loads(out)
    assert preview["kind"] == "digest"
    assert "Economy" in json.dumps(preview)
    code, out, err = await cli(
        "digest", "--category", "economy", "--json", "--config", str(config_file)
    )
    assert code == 0 and json.loads(out)["kind"] == "digest", err
    code, out, err = await cli("digest", "--send", "--json", "--config", str(config_file))
    assert code == 0, err
    assert set(json.loads(out)) >= {"sent", "failed", "skipped"}
    code, _, err = await cli("digest", "--category", "Cats", "--config", str(config_file))
    assert code == 2 and err.startswith("prism-bot: usage: unknown category 'Cats'")
    code, _, err = await cli("digest", "--config", str(config_file))
    assert code == 2 and "--channel" in err


async def test_related_json_by_id_and_by_url(config_file: Path) -> None:
    rate_cut = "https://www.harbourledger.example/economy/2026/02/12/bank-of-norland-cuts-rates"
    code, _, err = await cli("seeds", "import", "--config", str(config_file))
    assert code == 0, err
    code, out, err = await cli("related", rate_cut, "--json", "--config", str(config_file))
    assert code == 0, err
    by_url = json.loads(out)
    assert by_url and all(
        set(hit) >= {"id", "headline", "category", "url", "reading_minutes", "score", "reason"}
        for hit in by_url
    )
    assert rate_cut not in {hit["url"] for hit in by_url}
    source_id = await _seed_id(config_file, rate_cut)
    code, out, _ = await cli(
        "related", str(source_id), "--limit", "1", "--json", "--config", str(config_file)
    )
    assert json.loads(out) == by_url[:1]
    code, _, err = await cli("related", "999", "--config", str(config_file))
    assert code == 1 and err.startswith("prism-bot: not-found: there is no analysis #999")


async def _seed_id(config_file: Path, url: str) -> int:
    code, out, err = await cli("analyze", url, "--json", "--config", str(config_file))
    assert code == 0, err
    return int(json.loads(out)["id"])


async def test_doctor_fails_on_claude_without_a_key(config_file: Path) -> None:
    config_file.write_text(config_file.read_text() + '[analyzer]\nbackend = "claude"\n')
    code, out, _ = await cli("doctor", "--config", str(config_file))
    assert code == 1
    assert "FAIL  analyzer" in out and "[anthropic] api_key: required" in out


async def test_stats_needs_no_analyser(config_file: Path) -> None:
    """`stats` reads the store only: a Claude setup without a key still answers."""
    config_file.write_text(config_file.read_text() + '[analyzer]\nbackend = "claude"\n')
    code, out, err = await cli("stats", "--json", "--config", str(config_file))
    assert code == 0, err
    data = json.loads(out)
    assert all(isinstance(data[k], int) for k in ("analyses", "requests", "deliveries_sent"))
