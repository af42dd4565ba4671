#!/usr/bin/env python3
"""The two quick-start commands: `python3 dev.py run` and `python3 dev.py test`.

Standard library only, so it works on a fresh machine with nothing but Python 3.11+.
Each command creates `.venv` when missing and (re)installs the project into it only
when pyproject.toml changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_venv(extra: str) -> None:
    """Create the virtual environment and install the project with `extra` if stale."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may run on an older Python
        sys.exit(f"prism-bot needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        # a current pip: faster resolution and wheels (pyproject also works with 23.2)
        _quietly([*pip, "--upgrade", "pip"])
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extra or 'base'}-{digest}"
    if stamp.exists():
        return
    print(f"installing prism-bot{f'[{extra}]' if extra else ''} into .venv …", flush=True)
    target = f".[{extra}]" if extra else "."
    _quietly([*pip, "-e", target])
    stamp.touch()


def _quietly(command: list[str]) -> None:
    """Run an install step; its chatter is shown only if it fails."""
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"dev.py: {' '.join(command[2:5])} failed (exit {done.returncode})")


def run(args: list[str]) -> int:
    """`prism-bot run` (or the given prism-bot command) from .venv; options alone, such as
    `--config x.toml`, are options of `run`."""
    ensure_venv("")
    return wait_for([str(BIN / "prism-bot"), *prism_args(args)])


def wait_for(command: list[str]) -> int:
    """Run prism-bot in the foreground. Ctrl-C reaches it too (same process group) and
    it stops cleanly: this script only waits for it, without a traceback of its own."""
    child = subprocess.Popen(command, cwd=ROOT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # after Popen: the child keeps Ctrl-C
    return child.wait()


def prism_args(args: list[str]) -> list[str]:
    """`run --config x.toml` for `--config x.toml`; a command given is kept as it is."""
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        return ["run", *args]
    return args


def test(args: list[str]) -> int:
    """Lint, format check, types and the test suite, without the user's secrets."""
    ensure_venv("dev")
    steps = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy")],
        [str(BIN / "python"), "-m", "pytest", "-n", "auto", *args],
    ]
    env = {k: v for k, v in os.environ.items() if not _is_secret(k)}
    for step in steps:
        print("$", " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step)))
        code = subprocess.call(step, cwd=ROOT, env=env)
        if code:
            return code
    return 0


def _is_secret(name: str) -> bool:
    """Tests must never see real credentials or the user's PRISM_* overrides."""
    return name.startswith("PRISM_") or name in {
        "ANTHROPIC_API_KEY",
        "TELEGRAM_BOT_TOKEN",
        "DISCORD_BOT_TOKEN",
    }


def main() -> int:
    """Dispatch `run` or `test`."""
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        print("usage: python3 dev.py run [prism-bot args…] | python3 dev.py test [pytest args…]")
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
