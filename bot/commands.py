"""The command table: every chat command, once. Adapters loop over it to register
commands (Telegram setMyCommands, Discord slash commands, console help); the core
dispatches through it. Adding a command touches this table and its handler only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionSource = Literal["categories", "timezones", "recent"]


@dataclass(frozen=True, slots=True)
class Option:
    """One argument, as Discord shows it; other platforms take it as free text."""

    name: str
    description: str
    required: bool = True
    choices: OptionSource | None = None  # a fixed choice list (Discord: max 25)
    autocomplete: OptionSource | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """One chat command: its name, usage, help line and options, read by every adapter."""

    name: str
    usage: str
    summary: str
    options: tuple[Option, ...] = ()
    admin: bool = False  # changes channel settings: needs admin rights there
    guild_only: bool = False  # Discord: not offered in DMs
    hidden: bool = False  # reached by buttons and deep links, not in platform menus
    in_help: bool = False  # hidden from menus, yet listed by /help (answers mention it)
    aliases: tuple[str, ...] = ()  # other spellings that reach it (`/analyse`)


COMMANDS: tuple[Command, ...] = (
    Command("start", "/start", "What this bot does and how to use it"),
    Command("help", "/help", "List the commands"),
    Command(
        "analyze",
        "/analyze <url>",
        "Analyse a news article",
        (Option("url", "Link to a news article"),),
        aliases=("analyse",),
    ),
    Command(
        "related",
        "/related <url|id>",
        "Analyses related to an article",
        (Option("query", "Link or analysis id", autocomplete="recent"),),
    ),
    Command("categories", "/categories", "The categories you can subscribe to"),
    Command(
        "subscribe",
        "/subscribe <category…> [HH:MM] [timezone]",
        "Get a daily digest of categories in this channel",
        (
            Option("category", "Category to add", choices="categories"),
            Option("time", "Delivery time, HH:MM", required=False),
            Option("timezone", "Time zone, e.g. Europe/Berlin", False, autocomplete="timezones"),
        ),
        admin=True,
        guild_only=True,
    ),
    Command(
        "unsubscribe",
        "/unsubscribe [category…]",
        "Stop digests for some or all categories",
        (Option("category", "Category to remove (all if empty)", False, choices="categories"),),
        admin=True,
        guild_only=True,
    ),
    Command(
        "subscriptions",
        "/subscriptions",
        "This channel's digest subscriptions",
        guild_only=True,
    ),
    Command("digest", "/digest", "Preview this channel's next digest", guild_only=True),
    Command(
        "language",
        "/language [code]",
        "Show or set the language analyses are written in here",
        (Option("code", "Language code, e.g. de, ja, ar (empty: show it)", required=False),),
        admin=True,
    ),
    Command(
        "show",
        "/show <id>",
        "Open a stored analysis by its number",
        (Option("id", "Analysis id"),),
        hidden=True,
        in_help=True,
    ),
    Command(
        "thought",
        "/thought <useful|inaccurate> <id>",
        "Tell us an analysis was useful or inaccurate",
        (Option("reaction", "useful or inaccurate"), Option("id", "Analysis id")),
        hidden=True,
    ),
)

BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}
VISIBLE: tuple[Command, ...] = tuple(c for c in COMMANDS if not c.hidden)
IN_HELP: tuple[Command, ...] = tuple(c for c in COMMANDS if not c.hidden or c.in_help)
ALIASES: dict[str, str] = {alias: c.name for c in COMMANDS for alias in c.aliases}
