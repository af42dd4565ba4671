"""How the console shows replies: rich Text, never parsed as markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from bot.models import Group, Item, Link, Paragraph, Reply


def render(reply: Reply, hints: bool = True) -> Text:
    """A reply as rich Text; article and model text is never parsed as markup. `hints`
    adds the chat commands an answer leads to (`→ /related 12`), which only the chat
    understands."""
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
        if action.kind == "related" and action.analysis_id is not None and hints:
            out.append(f"→ /related {action.analysis_id}\n", style="cyan")
        elif action.kind == "web" and action.url:
            out.append(f"{action.label}: {action.url}\n", style="cyan")
    return out


def _render_block(out: Text, block: Paragraph | Link | Item | Group) -> None:
    """One block of a reply, recursively for groups."""
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


def print_replies(
    replies: Sequence[Reply], console: Console | None = None, hints: bool = True
) -> None:
    """Print replies to the terminal (the REPL and the CLI's human output); into a pipe
    or a file each paragraph stays one line, for the next program to wrap or read."""
    console = console or Console(highlight=False)
    # wrapping is for eyes: a pipe gets whole lines, without padding
    wrap = console.is_terminal
    for reply in replies:
        console.print(render(reply, hints), soft_wrap=not wrap)
