"""`python -m bot …` as a separate process, the way users and self-hosters run it."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import DEVNULL, PIPE, Process


async def spawn_bot(*args: str, stdin: int = DEVNULL, **env: str) -> Process:
    """Start `python -m bot ARGS`; stdout and stderr are piped.

    The environment is this one without PRISM_* overrides, plus `env` (a token, say).
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRISM_")}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, stdin=stdin, stdout=PIPE, stderr=PIPE,
        env={**clean, **env},
    )  # fmt: skip
