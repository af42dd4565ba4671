"""Issue 11, a new user's first hour: each rough edge, as the user met it, in a process."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from tests.support.process import spawn_bot
from tests.support.site import Site


async def cli(*args: str, stdin: str = "", **env: str) -> tuple[int, str, str]:
    proc = await spawn_bot(*args, stdin=asyncio.subprocess.PIPE, **env)
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


# --- 1. no hang: an error after the store opened closes it and exits non-zero ---------


@pytest.mark.parametrize("command", [["analyze", "https://example.com"], ["chat"], ["run"]])
async def test_claude_without_a_key_exits_with_one_line(
    config_file: Path, command: list[str]
) -> None:
    code, _, err = await cli(
        *command, "--config", str(config_file), PRISM_ANALYZER_BACKEND="claude"
    )
    assert code == 2
    said = [line for line in err.splitlines() if " level=" not in line]  # `run` logs
    assert len(said) == 1
    assert said[0].startswith("prism-bot: config: [anthropic] api_key: required")


async def test_claude_without_a_key_related_exits(config_file: Path) -> None:
    code, _, err = await cli(
        "related", "1", "--config", str(config_file), PRISM_ANALYZER_BACKEND="claude"
    )
    assert code == 2 and err.count("\n") == 1


# --- 3. honest error kinds --------------------------------------------------------------


async def test_unknown_ids_and_targets_are_not_found(config_file: Path) -> None:
    for args in (["related", "9999"], ["forget", "9999"], ["digest", "--channel", "console:x"]):
        code, _, err = await cli(*args, "--config", str(config_file))
        assert code == 1, args
        assert err.startswith("prism-bot: not-found:"), err


@pytest.mark.parametrize("limit", ["0", "-3"])
async def test_a_limit_below_one_is_a_usage_error(config_file: Path, limit: str) -> None:
    code, out, err = await cli("related", "1", "--limit", limit, "--config", str(config_file))
    assert (code, out) == (2, "")
    assert err == f"prism-bot: usage: --limit must be a whole number of 1 or more, not {limit}\n"


# --- 4. the operator is not a chat user -------------------------------------------------


async def test_the_operator_is_not_held_to_the_per_user_budget(
    config_file: Path, article_site: Site
) -> None:
    config_file.write_text(config_file.read_text() + "[limits]\nuser_per_hour = 1\n")
    for n in range(3):
        url = article_site.url(f"/slow/op{n}?ms=1")
        code, out, err = await cli("analyze", url, "--json", "--config", str(config_file))
        assert code == 0, err
        assert json.loads(out)["cached"] is False


async def test_the_operator_still_meets_the_global_budget(
    config_file: Path, article_site: Site
) -> None:
    config_file.write_text(config_file.read_text() + "[limits]\nglobal_per_day = 1\n")
    code, _, err = await cli(
        "analyze", article_site.url("/slow/g1?ms=1"), "--config", str(config_file)
    )
    assert code == 0, err
    code, _, err = await cli(
        "analyze", article_site.url("/slow/g2?ms=1"), "--config", str(config_file)
    )
    assert code == 1 and err.startswith("prism-bot: budget:")


# --- 8. text output for pipes -----------------------------------------------------------

RATE_CUT = "https://www.harbourledger.example/economy/2026/02/12/bank-of-norland-cuts-rates"


async def test_piped_analyze_is_whole_lines_without_chat_hints(config_file: Path) -> None:
    code, _, err = await cli("seeds", "import", "--config", str(config_file))
    assert code == 0, err
    code, out, err = await cli("analyze", RATE_CUT, "--config", str(config_file))
    assert code == 0, err
    lines = out.splitlines()
    assert any(len(line) > 120 for line in lines)  # a paragraph is one line
    assert all(line == line.rstrip() for line in lines)
    assert "/related" not in out


def test_a_terminal_still_gets_wrapped_lines() -> None:
    import io

    from rich.console import Console

    from adapters.console import print_replies
    from bot.replies import info

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=40, color_system=None)
    print_replies([info("Title", "word " * 30)], console)
    assert max(len(line) for line in screen.getvalue().splitlines()) <= 40


async def test_stats_prints_human_lines(config_file: Path) -> None:
    code, _, err = await cli("seeds", "import", "--config", str(config_file))
    assert code == 0, err
    code, out, err = await cli("stats", "--config", str(config_file))
    assert code == 0, err
    assert "{" not in out and "'" not in out
    assert any(re.fullmatch(r"by backend +seed \d+", line) for line in out.splitlines())
    assert "estimated cost           $0.0000" in out.splitlines()
