"""Issue 11, a new user's first hour: each rough edge, as the user met it, in a process."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
from pathlib import Path

import pytest
from aiohttp import web

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


# --- 9. the CLI explains itself ---------------------------------------------------------


async def test_version() -> None:
    from bot import __version__

    code, out, _ = await cli("--version")
    assert (code, out) == (0, f"prism-bot {__version__}\n")


def test_every_option_has_help_with_an_example() -> None:
    from bot.cli.main import build_parser

    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in sub.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and "e.g." in action.help, (name, action.dest)


async def test_seeds_alone_shows_its_actions(config_file: Path) -> None:
    code, out, err = await cli("seeds", "--config", str(config_file))
    assert (code, out) == (2, "")
    assert "seeds import" in err and "DIR" in err
    assert not (config_file.parent / "cli.db").exists()  # nothing was done


def test_dev_py_run_takes_options_of_run() -> None:
    import dev

    assert dev.prism_args([]) == ["run"]
    assert dev.prism_args(["--config", "x.toml"]) == ["run", "--config", "x.toml"]
    assert dev.prism_args(["chat", "--config", "x.toml"]) == ["chat", "--config", "x.toml"]
    assert dev.prism_args(["--version"]) == ["--version"]


async def test_a_mistyped_prism_variable_is_named(config_file: Path) -> None:
    code, _, err = await cli(
        "stats", "--config", str(config_file), PRISM_FETCH_TIMEOUTS="3", PRISM_WEB_PORT="9"
    )
    assert code == 0
    assert err == (
        "prism-bot: warning: PRISM_FETCH_TIMEOUTS is not a setting and is ignored "
        "(did you mean PRISM_FETCH_TIMEOUT_S?)\n"
    )


async def test_doctor_aligns_and_skips_disabled_platforms(config_file: Path) -> None:
    config_file.write_text(
        config_file.read_text() + '[telegram]\nbase_url = "http://127.0.0.1:9/bot"\n'
    )
    code, out, err = await cli("doctor", "--config", str(config_file))
    assert code == 0, out + err
    rows = [
        re.fullmatch(r"(ok  |FAIL|    )  (\S+(?: \S+)*)  +(\S.*)", line)
        for line in out.splitlines()
    ]
    assert all(rows), out
    assert len({row.start(3) for row in rows if row}) == 1, out  # one detail column
    assert "secret_token" not in out and "base_url" not in out  # telegram is off


# --- 2. every failure is one line -------------------------------------------------------


async def test_an_unusable_storage_path_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    config = tmp_path / "prism.toml"
    config.write_text(f'[storage]\npath = "{blocker / "prism.db"}"\n')
    code, out, err = await cli("stats", "--config", str(config))
    assert (code, out) == (1, "")
    assert err.startswith(f"prism-bot: storage: [storage] path {blocker / 'prism.db'}: cannot")
    assert err.count("\n") == 1


async def test_an_unreachable_telegram_api_is_one_line(config_file: Path) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    config_file.write_text(
        config_file.read_text()
        + f'[telegram]\ntoken = "123:abc"\nbase_url = "http://127.0.0.1:{port}/bot"\n'
    )
    code, _, err = await cli("run", "--config", str(config_file))
    said = [line for line in err.splitlines() if " level=" not in line]
    assert code == 1
    assert said == [
        f"prism-bot: unreachable: the Telegram Bot API at http://127.0.0.1:{port}/bot cannot be "
        "reached (httpx.ConnectError: All connection attempts failed); check [telegram] "
        "base_url and the network"
    ]


async def test_ctrl_c_during_a_fetch_is_one_line(config_file: Path, article_site: Site) -> None:
    fetching = asyncio.Event()

    async def never_answers(request: web.Request) -> web.Response:
        fetching.set()
        await asyncio.sleep(60)
        return web.Response(text="too late")

    url = article_site.add("/never", never_answers)
    proc = await spawn_bot("analyze", url, "--config", str(config_file))
    await asyncio.wait_for(fetching.wait(), 30)
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130
    assert (out, err) == (b"", b"prism-bot: interrupted\n")


# --- 11. what the README promises -------------------------------------------------------


async def test_info_logs_are_hidden_unless_debug_is_asked_for(config_file: Path) -> None:
    code, _, err = await cli("stats", "--config", str(config_file))
    assert code == 0 and "level=info" not in err
    other = config_file.with_name("other.db")
    code, _, err = await cli(
        "stats",
        "--config",
        str(config_file),
        PRISM_STORAGE_PATH=str(other),
        PRISM_LOG_LEVEL="DEBUG",
    )
    assert code == 0 and "event=migration" in err
