"""The console: a REPL in this terminal that speaks the chat commands (`prism-bot chat`)."""

from adapters.console.adapter import CHANNEL, PROMPT, ConsoleAdapter, parse_line
from adapters.console.render import print_replies, render

__all__ = ["CHANNEL", "PROMPT", "ConsoleAdapter", "parse_line", "print_replies", "render"]
