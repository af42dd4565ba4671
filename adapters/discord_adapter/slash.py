"""Slash commands built from the command table (bot.commands.COMMANDS), and buttons.

Every visible command becomes an app command whose options are string parameters;
the callback hands the command and its values, in table order, to one runner. The
buttons' custom_ids are parsed by DynamicItems, so a button posted before a restart
still works: nothing about it lives in memory.
"""

from __future__ import annotations

import inspect
import zoneinfo
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands

from adapters.discord_adapter.render import OPEN_ID, RELATED_ID, THOUGHT_ID, Button, fit
from bot.commands import Command, Option
from bot.config import Config
from bot.models import Analysis

# (interaction, command, option values in table order) -> None
Runner = Callable[[discord.Interaction[Any], Command, list[str | None]], Awaitable[None]]
# (interaction, command word, argument) -> None
Clicker = Callable[[discord.Interaction[Any], str, str], Awaitable[None]]
RecentSource = Callable[[], Awaitable[list[Analysis]]]
Choices = list[app_commands.Choice[str]]

CHOICES_MAX = 25
CHOICE_NAME_MAX = 100


def build_commands(
    specs: Sequence[Command], config: Config, run: Runner, recent: RecentSource
) -> list[app_commands.Command[Any, ..., None]]:
    """One app command per visible entry of the table."""
    completer = Completer(config, recent)
    return [_command(spec, config, run, completer) for spec in specs if not spec.hidden]


def _command(
    spec: Command, config: Config, run: Runner, completer: Completer
) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[Any], **values: str | None) -> None:
        await run(interaction, spec, [values.get(o.name) for o in spec.options])

    callback.__signature__ = _signature(spec.options)  # type: ignore[attr-defined]
    func: Any = callback
    if spec.options:
        func = app_commands.describe(**{o.name: o.description[:100] for o in spec.options})(func)
    choices = {o.name: _fixed_choices(o, config) for o in spec.options if o.choices}
    if choices:
        func = app_commands.choices(**choices)(func)
    completions = {o.name: completer.for_option(o) for o in spec.options if o.autocomplete}
    if completions:
        func = app_commands.autocomplete(**completions)(func)
    if spec.guild_only:
        func = app_commands.guild_only()(func)
    if spec.admin:
        func = app_commands.default_permissions(manage_channels=True)(func)
    return app_commands.Command(name=spec.name, description=spec.summary[:100], callback=func)


def _signature(options: Sequence[Option]) -> inspect.Signature:
    """interaction, then one keyword-only string parameter per option (None if optional)."""
    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in options:
        default = inspect.Parameter.empty if option.required else None
        annotation: Any = str if option.required else str | None
        params.append(
            inspect.Parameter(
                option.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    return inspect.Signature(params)


def _fixed_choices(option: Option, config: Config) -> Choices:
    if option.choices == "categories":
        names = config.categories.names[:CHOICES_MAX]
        return [app_commands.Choice(name=n, value=n) for n in names]
    raise ValueError(f"option {option.name}: no fixed choice list named {option.choices!r}")


class Completer:
    """Autocomplete sources: time zones by prefix, recent analyses, categories."""

    def __init__(self, config: Config, recent: RecentSource) -> None:
        self.config = config
        self.recent = recent
        self._zones: list[str] | None = None

    def for_option(
        self, option: Option
    ) -> Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, Choices]]:
        source = option.autocomplete

        async def complete(interaction: discord.Interaction[Any], current: str) -> Choices:
            if source == "timezones":
                return _choices(self.timezones(current))
            if source == "recent":
                return await self.recent_choices(current)
            return _choices(self.categories(current))

        return complete

    def timezones(self, typed: str) -> list[str]:
        """IANA zones whose name, or whose city, starts with what was typed."""
        if self._zones is None:
            self._zones = sorted(zoneinfo.available_timezones())
        prefix = typed.strip().casefold().replace(" ", "_")
        full = [z for z in self._zones if z.casefold().startswith(prefix)]
        city = [z for z in self._zones if z.rsplit("/", 1)[-1].casefold().startswith(prefix)]
        return list(dict.fromkeys(full + city))[:CHOICES_MAX]

    def categories(self, typed: str) -> list[str]:
        prefix = typed.strip().casefold()
        return [c for c in self.config.categories.names if c.casefold().startswith(prefix)]

    async def recent_choices(self, typed: str) -> Choices:
        """Recent analyses whose id or headline contains what was typed: `#12 Headline`."""
        needle = typed.strip().casefold().removeprefix("#")
        found = [
            a
            for a in await self.recent()
            if not needle or needle in a.headline.casefold() or needle == str(a.id)
        ]
        return [
            app_commands.Choice(name=fit(f"#{a.id} {a.headline}", CHOICE_NAME_MAX), value=str(a.id))
            for a in found[:CHOICES_MAX]
        ]


def _choices(values: Sequence[str]) -> Choices:
    return [app_commands.Choice(name=v[:CHOICE_NAME_MAX], value=v) for v in values[:CHOICES_MAX]]


# --- buttons ----------------------------------------------------------------------------------


def _clicker(interaction: discord.Interaction[Any]) -> Clicker:
    click: Clicker | None = getattr(interaction.client, "prism_click", None)
    if click is None:
        raise RuntimeError("this client does not handle prism buttons")
    return click


class RelatedButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"prism:related:(?P<id>[0-9]+)"
):
    """ "Related" under an analysis: works for as long as the message exists."""

    def __init__(self, analysis_id: int, label: str = "Related") -> None:
        custom_id = RELATED_ID.format(id=analysis_id)
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.primary, custom_id=custom_id)
        )
        self.analysis_id = analysis_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> RelatedButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _clicker(interaction)(interaction, "related", str(self.analysis_id))


class OpenButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"prism:open:(?P<id>[0-9]+)"
):
    """ "Open" beside a digest or related entry: shows that stored analysis."""

    def __init__(self, analysis_id: int, label: str = "Open") -> None:
        custom_id = OPEN_ID.format(id=analysis_id)
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id)
        )
        self.analysis_id = analysis_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> OpenButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _clicker(interaction)(interaction, "show", str(self.analysis_id))


class ThoughtButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"prism:(?P<kind>useful|inaccurate):(?P<id>[0-9]+)",
):
    """Useful / Inaccurate under an analysis: the reader's Thoughts, answered privately."""

    def __init__(self, kind: str, analysis_id: int, label: str = "") -> None:
        custom_id = THOUGHT_ID.format(kind=kind, id=analysis_id)
        super().__init__(
            discord.ui.Button(
                label=label or kind.capitalize(),
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
            )
        )
        self.kind = kind
        self.analysis_id = analysis_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> ThoughtButton:
        return cls(str(match["kind"]), int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _clicker(interaction)(interaction, "thought", f"{self.kind} {self.analysis_id}")


def make_view(buttons: Sequence[Button]) -> discord.ui.View | None:
    """A persistent view (no timeout) holding the rendered buttons, five to a row."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(_item(button))
    return view


def _item(button: Button) -> discord.ui.Item[Any]:
    if button.url is not None:
        return discord.ui.Button(label=button.label, url=button.url)
    custom_id = button.custom_id or ""
    kind, _, ident = custom_id.rpartition(":")
    if kind == "prism:related" and ident.isdigit():
        return RelatedButton(int(ident), button.label)
    if kind == "prism:open" and ident.isdigit():
        return OpenButton(int(ident), button.label)
    if kind in ("prism:useful", "prism:inaccurate") and ident.isdigit():
        return ThoughtButton(kind.removeprefix("prism:"), int(ident), button.label)
    return discord.ui.Button(label=button.label, custom_id=custom_id)
