"""Slash commands built from the command table (bot.commands.COMMANDS), and buttons.

Every visible command becomes an app command whose options are string parameters;
the callback hands the command and its values, in table order, to one runner. The
buttons' custom_ids are parsed by DynamicItems, so a button posted before a restart
still works: nothing about it lives in memory.
"""

from __future__ import annotations

import inspect
import re
import zoneinfo
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands

from adapters.discord_adapter.render import Button, fit
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
        """The autocomplete callback for one option, or None when it has none."""
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
        """Configured categories that start with what was typed."""
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


BUTTON_ID = re.compile(r"prism:(?P<action>related|open|useful|inaccurate):(?P<id>[0-9]+)")
# custom_id action -> (the chat command it runs, its arguments, the button's style)
BUTTON_ACTIONS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "related": ("related", "{id}", discord.ButtonStyle.primary),  # under an analysis
    "open": ("show", "{id}", discord.ButtonStyle.secondary),  # beside a digest entry
    "useful": ("thought", "useful {id}", discord.ButtonStyle.secondary),  # Thoughts
    "inaccurate": ("thought", "inaccurate {id}", discord.ButtonStyle.secondary),
}


class PrismButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=BUTTON_ID.pattern,
):
    """Every bot button, one mechanism: the action and the analysis id live in the
    custom_id, so a button works for as long as its message exists (restarts too).

    discord.py binds a DynamicItem's template to the class at definition time and
    rebuilds items through `from_custom_id`: one class whose template names the
    action covers every button, instead of one copy-pasted class per action."""

    def __init__(self, action: str, analysis_id: int, label: str) -> None:
        _, _, style = BUTTON_ACTIONS[action]
        custom_id = f"prism:{action}:{analysis_id}"
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.action = action
        self.analysis_id = analysis_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> PrismButton:
        """Rebuild a clicked button from its custom_id (its label is not needed)."""
        return cls(match["action"], int(match["id"]), getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """A click runs the button's chat command on its analysis."""
        command, arguments, _ = BUTTON_ACTIONS[self.action]
        await _clicker(interaction)(interaction, command, arguments.format(id=self.analysis_id))


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
    match = BUTTON_ID.fullmatch(custom_id)
    if match is not None:
        return PrismButton(match["action"], int(match["id"]), button.label)
    return discord.ui.Button(label=button.label, custom_id=custom_id)
