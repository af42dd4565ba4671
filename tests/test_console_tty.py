"""The console in a real pseudo-terminal, as a person types into it (issue 11, item 6)."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import Core
from bot.models import ChannelRef
from tests.support.site import Site

UP = "\x1b[A"
ROOT = Path(__file__).resolve().parent.parent


class Terminal:
    """`python -m bot ARGS` on a pty: type keys, wait for text on the screen."""

    def __init__(self, *args: str, command: list[str] | None = None) -> None:
        self.master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRISM_")}
        self.proc = subprocess.Popen(
            command or [sys.executable, "-m", "bot", *args],
            stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm"},
            start_new_session=True, cwd=ROOT,
        )  # fmt: skip
        os.close(slave)
        self.screen = ""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for(self, text: str, after: int = 0, timeout: float = 30) -> int:
        """Read until `text` shows up after position `after`; where it ends."""
        while text not in self.screen[after:]:
            ready, _, _ = select.select([self.master], [], [], timeout)
            assert ready, f"{text!r} never showed; screen:\n{self.screen[after:]}"
            try:
                self.screen += os.read(self.master, 65536).decode(errors="replace")
            except OSError:  # the process ended and closed the terminal
                raise AssertionError(f"{text!r} never showed:\n{self.screen[after:]}") from None
        return self.screen.index(text, after) + len(text)

    def close(self) -> int:
        code = self.proc.wait(30)
        os.close(self.master)
        return code


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    config = tmp_path / "prism.toml"
    config.write_text(
        f'[storage]\npath = "{tmp_path / "data" / "prism.db"}"\n'
        '[fetch]\nallow_networks = ["127.0.0.0/8"]\n'
    )
    term = Terminal("chat", "--config", str(config))
    yield term
    if term.proc.poll() is None:
        term.proc.kill()
        term.close()


def test_arrow_keys_recall_history_and_it_is_kept(terminal: Terminal, tmp_path: Path) -> None:
    at = terminal.wait_for("prism> ")
    terminal.type("/categories\r")
    at = terminal.wait_for("prism> ", terminal.wait_for("Categories", at))
    terminal.type(UP + "\r")  # the previous line again, not ^[[A
    at = terminal.wait_for("prism> ", terminal.wait_for("Categories", at))
    assert "^[[A" not in terminal.screen
    terminal.type("/quit\r")
    assert terminal.close() == 0
    assert "/categories" in (tmp_path / "data" / "console_history").read_text()


def test_ctrl_c_cancels_the_request_and_keeps_the_prompt(
    terminal: Terminal, article_site: Site
) -> None:
    at = terminal.wait_for("prism> ")
    terminal.type(article_site.url("/slow/held?ms=20000") + "\r")
    at = terminal.wait_for("working", at)
    terminal.proc.send_signal(signal.SIGINT)
    at = terminal.wait_for("prism> ", terminal.wait_for("Cancelled.", at))
    terminal.type("/help\r")
    at = terminal.wait_for("/show <id>", at)
    terminal.proc.send_signal(signal.SIGINT)  # at the prompt: leave, quietly
    assert terminal.close() == 0
    assert "Traceback" not in terminal.screen


async def test_a_pushed_digest_redraws_the_prompt(core: Core) -> None:
    import io

    from rich.console import Console

    from adapters.console import PROMPT, ConsoleAdapter
    from adapters.console.adapter import LineEditor
    from bot.replies import info

    screen = io.StringIO()
    adapter = ConsoleAdapter(core, console=Console(file=screen, width=80, color_system=None))
    adapter._editor = editor = LineEditor(None)  # the REPL's editor, its prompt showing
    editor.waiting = True
    await adapter.send(ChannelRef("console", "local"), info("Daily digest", "Rates fell."))
    shown = screen.getvalue()
    assert shown.startswith("\r\x1b[K— delivered to console:local —")
    assert shown.endswith(PROMPT)
    editor.waiting = False
    await adapter.send(ChannelRef("console", "local"), info("Daily digest", "Rates rose."))
    assert screen.getvalue()[len(shown) :].startswith("— delivered")


def test_ctrl_c_at_the_prompt_under_dev_py_ends_without_a_traceback(tmp_path: Path) -> None:
    """`python3 dev.py run` waits for prism-bot in the same process group: Ctrl-C reaches
    both, and only prism-bot answers it (dev.py's own wait, without its venv set-up)."""
    config = tmp_path / "prism.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "prism.db"}"\n')
    chat = [sys.executable, "-m", "bot", "chat", "--config", str(config)]
    script = f"import sys, dev; sys.exit(dev.wait_for({chat!r}))"
    term = Terminal(command=[sys.executable, "-c", script])
    try:
        term.wait_for("prism> ")
        # Ctrl-C: what the terminal does, SIGINT to the whole foreground process group
        os.killpg(term.proc.pid, signal.SIGINT)
        code = term.close()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    with contextlib.suppress(OSError):
        term.screen += os.read(term.master, 65536).decode(errors="replace")
    assert code == 0, term.screen
    assert "Traceback" not in term.screen and "KeyboardInterrupt" not in term.screen
