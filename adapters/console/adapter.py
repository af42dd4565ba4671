"""The console adapter: a REPL that speaks the chat commands, rendered with rich.

The console is the channel `console:local` and its user is its admin. It is also a
Sender, so a console subscription receives its digests right in the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from rich.console import Console
from rich.text import Text

from adapters.console.render import print_replies
from bot.core import Core
from bot.lifecycle import StartStop
from bot.models import ChannelRef, Reply, Request

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


class ConsoleAdapter(StartStop):
    """The console as a bot.ports.Adapter: the REPL, and a Sender for console digests."""

    platform = "console"

    def __init__(
        self,
        core: Core,
        *,
        stdin: TextIO | None = None,
        console: Console | None = None,
        on_exit: Callable[[], None] | None = None,
        history: Path | None = None,
    ) -> None:
        self.core = core
        self.stdin = stdin or sys.stdin
        self.console = console or Console(highlight=False)
        self.on_exit = on_exit
        self.history = history  # the line editor's history file, when at a terminal
        self._task: asyncio.Task[None] | None = None
        self._request: asyncio.Task[list[Reply]] | None = None
        self._editor: LineEditor | None = None

    async def start(self) -> None:
        """Run the REPL as a task on the shared loop."""
        self._task = asyncio.create_task(self.repl())

    async def stop(self) -> None:
        """Stop reading; the line being answered is abandoned with the REPL task."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        """A digest for `console:local`, printed with a delivery banner (above the prompt
        being edited, which is drawn again below it)."""
        with self._above_prompt():
            self.console.print(Text(f"— delivered to {channel} —", style="dim"))
            print_replies([reply], self.console)

    @contextlib.contextmanager
    def _above_prompt(self) -> Iterator[None]:
        editor = self._editor
        if editor is None or not editor.waiting:
            yield
            return
        self.console.file.write("\r\x1b[K")  # clear the prompt line, print, draw it again
        yield
        editor.redraw(self.console.file)

    def interrupt(self) -> bool:
        """Ctrl-C: cancel the request being answered; False when there is none (then the
        app stops, as Ctrl-C at the prompt means)."""
        if self._request is None or self._request.done():
            return False
        self._request.cancel()
        return True

    async def repl(self) -> None:
        """Read commands until end of input or /quit."""
        interactive = self.stdin.isatty()
        if interactive:
            self.console.print(
                Text("prism-bot console. Paste a news link, or /help. /quit ends.", style="dim")
            )
        read: Callable[[str], Awaitable[str | None]]
        if interactive and self.stdin is sys.stdin:
            self._editor = LineEditor(self.history)
            read = self._editor.read
        else:
            read = _queue_reader(_line_reader(self.stdin), interactive, self.console)
        try:
            while True:
                line = await read(PROMPT)
                if line is None or line.strip() in ("/quit", "/exit"):
                    break
                await self._answer(line)
        finally:
            if self._editor is not None:
                self._editor.close()
            if self.on_exit is not None:
                self.on_exit()

    async def _answer(self, line: str) -> None:
        parsed = parse_line(line)
        if parsed is None:
            return
        command, text = parsed
        request = Request(command, text, CHANNEL, "console:local", is_admin=True, is_private=True)
        self._request = asyncio.create_task(self.core.handle(request))
        try:
            with self.console.status("working…", spinner="dots"):
                replies = await self._request
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the REPL itself is stopping
            self.console.print(Text("✗ Cancelled.", style="red"))
            return
        finally:
            self._request = None
        print_replies(replies, self.console)


class LineEditor:
    """Lines typed at a terminal, with the stdlib's readline: arrow keys edit, history
    (kept in `history` across sessions) recalls. input() runs on a daemon thread, one
    prompt at a time, so the loop stays free and shutdown never waits on the keyboard."""

    def __init__(self, history: Path | None) -> None:
        self.history = history
        self.waiting = False  # a prompt is on screen, waiting for a line
        self._asks: queue.Queue[tuple[str, asyncio.Future[str | None]]] = queue.Queue()
        self._terminal = _terminal_state()
        self._readline = _readline(history)
        threading.Thread(target=self._pump, name="console-input", daemon=True).start()

    async def read(self, prompt: str) -> str | None:
        """The next line (None at end of input), after showing `prompt`."""
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._asks.put((prompt, answer))
        self.waiting = True
        try:
            return await answer
        except asyncio.CancelledError:  # Ctrl-C at the prompt: give the shell a clean line
            sys.stdout.write("\n")
            sys.stdout.flush()
            raise
        finally:
            self.waiting = False

    def _pump(self) -> None:
        while True:
            prompt, answer = self._asks.get()
            try:
                line: str | None = input(prompt)
            except EOFError:
                line = None
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                answer.get_loop().call_soon_threadsafe(_settle, answer, line)

    def redraw(self, out: IO[str]) -> None:
        """The prompt and the half-typed line again, after something printed over them."""
        typed = self._readline.get_line_buffer() if self._readline else ""
        out.write(PROMPT + typed)
        out.flush()

    def close(self) -> None:
        """Save the history and give the terminal back as it was."""
        if self._readline is not None and self.history is not None:
            with contextlib.suppress(OSError):
                self.history.parent.mkdir(parents=True, exist_ok=True)
                self._readline.write_history_file(str(self.history))
        _restore_terminal(self._terminal)


def _settle(answer: asyncio.Future[str | None], line: str | None) -> None:
    if not answer.done():
        answer.set_result(line)


def _readline(history: Path | None) -> Any:
    """The stdlib readline module with `history` loaded, or None where it is missing."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return None
    readline.set_history_length(1000)
    if history is not None and history.exists():
        with contextlib.suppress(OSError):
            readline.read_history_file(str(history))
    return readline


def _terminal_state() -> list[Any] | None:
    """The terminal's settings before readline changes them."""
    try:
        import termios

        return termios.tcgetattr(sys.stdin.fileno())
    except (ImportError, OSError, ValueError):
        return None


def _restore_terminal(state: list[Any] | None) -> None:
    if state is None:
        return
    import termios

    with contextlib.suppress(OSError, ValueError):
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, state)


def _queue_reader(
    lines: asyncio.Queue[str | None], interactive: bool, console: Console
) -> Callable[[str], Awaitable[str | None]]:
    """Reading from a queue of lines, showing the prompt first at a terminal."""

    async def read(prompt: str) -> str | None:
        if interactive:
            console.print(prompt, end="")
        return await lines.get()

    return read


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
