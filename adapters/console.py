"""The console adapter: a REPL that speaks the chat commands, rendered with rich.

The console is the channel `console:local` and its user is its admin. It is also a
Sender, so a console subscription receives its digests right in the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bot.core import Core
from bot.models import ChannelRef, Group, Item, Link, Paragraph, Reply, Request

CHANNEL = ChannelRef("console", "local")
PROMPT = "prism> "


def parse_line(line: str) -> tuple[str, str] | None:
    """`/related 12` -> ("related", "12"); free text -> ("message", text); blank -> None."""
    line = line.strip()
    if not line:
        return None
    if line.startswith("/"):
        word, _, rest = line[1:].partition(" ")
        return word.lower(), rest.strip()
    return "message", line


def render(reply: Reply) -> Text:
    """A reply as rich Text; article and model text is never parsed as markup."""
    out = Text()
    if reply.kind == "error":
        out.append("✗ ", style="bold red")
        out.append(reply.plain_text(), style="red")
        return out
    if reply.title:
        out.append(reply.title + "\n", style="bold")
    if reply.meta:
        out.append(reply.meta + "\n", style="dim")
    for block in reply.blocks:
        out.append("\n")
        _render_block(out, block)
    if reply.footer:
        out.append("\n" + reply.footer + "\n", style="italic dim")
    for action in reply.actions:
        if action.kind == "related" and action.analysis_id is not None:
            out.append(f"→ /related {action.analysis_id}\n", style="cyan")
        elif action.kind == "web" and action.url:
            out.append(f"{action.label}: {action.url}\n", style="cyan")
    return out


def _render_block(out: Text, block: Paragraph | Link | Item | Group) -> None:
    if isinstance(block, Paragraph):
        out.append(block.text + "\n")
    elif isinstance(block, Link):
        out.append(block.label, style="underline")
        out.append(f"\n{block.url}\n", style="blue")
    elif isinstance(block, Item):
        out.append("• " + block.title, style="bold")
        if block.analysis_id is not None:
            out.append(f"  (/show {block.analysis_id})", style="cyan")
        out.append("\n")
        lines = (block.text, ""), (block.meta, "dim"), (block.url, "blue"), (block.page_url, "blue")
        for line, style in lines:
            if line:
                out.append(f"  {line}\n", style=style)
    else:
        out.append(block.heading + "\n", style="bold underline")
        for inner in block.blocks:
            _render_block(out, inner)


def print_replies(replies: Sequence[Reply], console: Console | None = None) -> None:
    console = console or Console(highlight=False, soft_wrap=False)
    for reply in replies:
        console.print(render(reply))


class ConsoleAdapter:
    platform = "console"

    def __init__(
        self,
        core: Core,
        *,
        stdin: TextIO | None = None,
        console: Console | None = None,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self.core = core
        self.stdin = stdin or sys.stdin
        self.console = console or Console(highlight=False)
        self.on_exit = on_exit
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.repl())

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        self.console.print(Text(f"— delivered to {channel} —", style="dim"))
        print_replies([reply], self.console)

    async def repl(self) -> None:
        """Read commands until end of input or /quit."""
        interactive = self.stdin.isatty()
        if interactive:
            self.console.print(
                Text("prism-bot console. Paste a news link, or /help. /quit ends.", style="dim")
            )
        lines = _line_reader(self.stdin)
        try:
            while True:
                if interactive:
                    self.console.print(PROMPT, end="")
                line = await lines.get()
                if line is None or line.strip() in ("/quit", "/exit"):
                    break
                await self._answer(line)
        finally:
            if self.on_exit is not None:
                self.on_exit()

    async def _answer(self, line: str) -> None:
        parsed = parse_line(line)
        if parsed is None:
            return
        command, text = parsed
        request = Request(command, text, CHANNEL, "console:local", is_admin=True, is_private=True)
        with self.console.status("working…", spinner="dots"):
            replies = await self.core.handle(request)
        print_replies(replies, self.console)


def _line_reader(stream: TextIO) -> asyncio.Queue[str | None]:
    """Lines from a blocking stream, read on a daemon thread so shutdown never waits on it."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        try:
            for line in iter(stream.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, None)
        except RuntimeError:  # the loop closed while we waited for input
            pass

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue
