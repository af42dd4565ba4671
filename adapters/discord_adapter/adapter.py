"""The Discord adapter: slash commands, buttons and mentions in; embeds out.

It runs a discord.Client with an app-command tree on the shared event loop, started
and stopped explicitly (login, a task for connect(), wait for READY; close on stop).
Every message leaves with mentions disabled, so article text cannot ping anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands

from adapters.discord_adapter.compat import set_default_gateway, use_endpoints
from adapters.discord_adapter.render import Message, render
from adapters.discord_adapter.slash import PrismButton, build_commands, make_view
from bot.commands import COMMANDS, Command
from bot.config import Config
from bot.errors import (
    BadArguments,
    ChannelGone,
    ConfigError,
    Forbidden,
    PrismError,
    SendFailed,
    TimedOut,
)
from bot.lifecycle import StartStop
from bot.logs import event
from bot.models import Analysis, ChannelRef, Reply, Request
from bot.replies import error_reply

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("prism.discord")

NO_MENTIONS = discord.AllowedMentions.none()


class PrismClient(discord.Client):
    """discord.Client that builds and syncs its command tree during login."""

    def __init__(
        self,
        adapter: DiscordAdapter,
        *,
        guild_ready_timeout: float,
        reidentify_delay: float,
        **shards: Any,
    ) -> None:
        settings = adapter.config.discord
        intents = discord.Intents.none()
        intents.guilds = True
        if settings.read_messages:
            intents.guild_messages = intents.dm_messages = intents.message_content = True
        super().__init__(
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            guild_ready_timeout=guild_ready_timeout,
            **shards,
        )
        self.adapter = adapter
        self.reidentify_delay = reidentify_delay
        self.prism_click = adapter.on_button  # read by the DynamicItem buttons
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = adapter.on_command_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        """During login: register the buttons and the slash commands, then sync them."""
        self.add_dynamic_items(PrismButton)
        for command in build_commands(
            COMMANDS, self.adapter.config, self.adapter.run, self._recent
        ):
            self.tree.add_command(command)
        await self.adapter.sync(self)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Discord allows one IDENTIFY per 5 seconds: wait before identifying again."""
        if not initial:
            await asyncio.sleep(self.reidentify_delay)

    async def _recent(self) -> list[Analysis]:
        return await self.adapter.core.recent(limit=50)

    async def on_message(self, message: discord.Message) -> None:
        """Mentions and DMs go to the adapter (only with read_messages on)."""
        await self.adapter.on_message(message)


class PrismShardedClient(PrismClient, discord.AutoShardedClient):
    """PrismClient running several shards (`[discord] shard_ids`) on one connection each."""


def client_for(adapter: DiscordAdapter, guild_ready_timeout: float, delay: float) -> PrismClient:
    """The gateway client `[discord] shard_count, shard_ids` ask for: unsharded, one
    shard (Client(shard_id, shard_count)), or several shards in this process."""
    settings = adapter.config.discord
    timing: dict[str, Any] = {"guild_ready_timeout": guild_ready_timeout, "reidentify_delay": delay}
    if not settings.shard_count:
        return PrismClient(adapter, **timing)
    if len(settings.shard_ids) == 1:
        shard = {"shard_id": settings.shard_ids[0], "shard_count": settings.shard_count}
        return PrismClient(adapter, **timing, **shard)
    ids = list(settings.shard_ids) or None  # none named: every shard in this process
    return PrismShardedClient(adapter, **timing, shard_ids=ids, shard_count=settings.shard_count)


class DiscordAdapter(StartStop):
    """bot.ports.Adapter for Discord.

    With `receive=False` it only sends (a `scheduler` process): it logs in over REST and
    posts through the HTTP client, never opening the gateway, so any number of send-only
    processes may run beside the one that receives.
    """

    platform = "discord"

    def __init__(
        self,
        config: Config,
        core: Core,
        *,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
        reidentify_delay: float = 5.0,
        receive: bool = True,
    ) -> None:
        self.config = config
        self.core = core
        self.receive = receive
        self.guild_ready_timeout = guild_ready_timeout
        self.reidentify_delay = reidentify_delay
        self.ready_timeout = ready_timeout
        self.client: discord.Client | None = None
        self._connection: asyncio.Task[None] | None = None
        self._restore: Callable[[], None] | None = None
        self._inflight: set[asyncio.Task[Any]] = set()

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, register the commands, connect the gateway; returns once READY."""
        settings = self.config.discord
        if not settings.token:
            raise ConfigError("[discord] token: not set (or set DISCORD_BOT_TOKEN)")
        self._restore = use_endpoints(settings.api_base_url, settings.gateway_url)
        if not self.receive:
            await self._start_sending()
            return
        self.client = client = client_for(self, self.guild_ready_timeout, self.reidentify_delay)
        try:
            await self._login(client)
            self._connection = asyncio.create_task(client.connect(reconnect=True))
            await self._until_ready(client, self._connection)
        except BaseException:
            await self.stop()
            raise
        event(log, "discord.ready", user=str(client.user), guilds=len(client.guilds))

    async def _start_sending(self) -> None:
        """Send-only: a plain client logged in over REST; no gateway, no command sync."""
        self.client = client = discord.Client(
            intents=discord.Intents.none(), allowed_mentions=NO_MENTIONS
        )
        try:
            await client.login(self.config.discord.token)
        except discord.LoginFailure:
            await self.stop()
            raise ConfigError("[discord] token: rejected by the Discord API (401)") from None
        except BaseException:
            await self.stop()
            raise
        event(log, "discord.ready", user=str(client.user), mode="send-only")

    async def _login(self, client: PrismClient) -> None:
        settings = self.config.discord
        try:
            await client.login(settings.token)
        except discord.LoginFailure:
            raise ConfigError("[discord] token: rejected by the Discord API (401)") from None
        if settings.api_base_url and not settings.gateway_url:
            _, url, _ = await client.http.get_bot_gateway()  # the server names its gateway
            set_default_gateway(url)

    async def _until_ready(self, client: PrismClient, connection: asyncio.Task[None]) -> None:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, connection}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready in done:
            return
        ready.cancel()
        if connection in done:
            try:
                connection.result()  # raises what stopped the gateway
            except discord.PrivilegedIntentsRequired:
                raise ConfigError(
                    "[discord] read_messages: enable the Message Content intent for this bot "
                    "in the Discord developer portal, or set read_messages = false"
                ) from None
            raise SendFailed("the Discord gateway closed before READY")
        raise TimedOut(f"Discord did not send READY within {self.ready_timeout:g} s")

    async def sync(self, client: PrismClient) -> None:
        """Register the commands globally, or only in the configured development guilds."""
        guilds = self.config.discord.dev_guild_ids
        if not guilds:
            synced = await client.tree.sync()
        else:
            for guild_id in guilds:
                guild = discord.Object(id=guild_id)
                client.tree.copy_global_to(guild=guild)
                synced = await client.tree.sync(guild=guild)
        event(log, "discord.commands", synced=len(synced), guilds=len(guilds) or "global")

    async def stop(self) -> None:
        """Finish in-flight replies, close the client, restore discord.py's endpoints."""
        await self.idle()
        if self.client is not None:
            await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._connection
            self._connection = None
        if self._restore is not None:
            self._restore()
            self._restore = None

    async def idle(self) -> None:
        """Wait until every interaction being answered has been answered."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    @contextlib.contextmanager
    def _tracked(self) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    # --- incoming ---------------------------------------------------------------------

    async def run(
        self, interaction: discord.Interaction[Any], command: Command, values: list[str | None]
    ) -> None:
        """One slash command: refuse what this member may not do here, else defer and answer."""
        with self._tracked():
            text = " ".join(v.strip() for v in values if v and v.strip())
            request = self._request(interaction, command.name, text)
            refusal = _refusal(command, request)
            if refusal is not None:
                await self._respond_now(interaction, error_reply(refusal))
                return
            await self._answer(interaction, request, private=command.admin)

    async def on_button(
        self, interaction: discord.Interaction[Any], command: str, arg: str
    ) -> None:
        """Related / Open buttons: the answer goes to the member who clicked, privately."""
        with self._tracked():
            request = self._request(interaction, command, arg)
            await self._answer(interaction, request, private=True)

    async def on_message(self, message: discord.Message) -> None:
        """With read_messages: links in a message that mentions the bot (or a DM) are analysed."""
        client = self.client
        if client is None or client.user is None or message.author.bot:
            return
        private = message.guild is None
        if not private and client.user not in message.mentions:
            return
        with self._tracked():
            text = message.content.replace(f"<@{client.user.id}>", " ")
            text = text.replace(f"<@!{client.user.id}>", " ")
            request = Request(
                "message",
                text.strip(),
                ChannelRef(self.platform, str(message.channel.id)),
                str(message.author.id),
                is_admin=False,
                is_private=private,
                language=None if message.guild is None else str(message.guild.preferred_locale),
            )
            async with message.channel.typing():
                replies = await self.core.handle(request)
            try:
                for reply in replies:
                    for part in render(reply):
                        kwargs = _send_kwargs(part)
                        await message.channel.send(**kwargs, reference=message)
                        _forget_view(kwargs)
            except discord.HTTPException as exc:
                event(
                    log, "discord.reply_failed", logging.WARNING, status=exc.status, code=exc.code
                )

    def _request(self, interaction: discord.Interaction[Any], command: str, text: str) -> Request:
        guild = interaction.guild_id is not None
        return Request(
            command,
            text,
            ChannelRef(self.platform, str(interaction.channel_id)),
            str(interaction.user.id),
            is_admin=guild and interaction.permissions.manage_channels,
            is_private=not guild,
            language=_locale(interaction),
        )

    # --- answering --------------------------------------------------------------------

    async def _respond_now(self, interaction: discord.Interaction[Any], reply: Reply) -> None:
        """An immediate answer (no deferral): refusals that need no work."""
        first = render(reply)[0]
        kwargs = _send_kwargs(first)
        await interaction.response.send_message(**kwargs, ephemeral=first.ephemeral)
        _forget_view(kwargs)

    async def _answer(
        self, interaction: discord.Interaction[Any], request: Request, *, private: bool
    ) -> None:
        """Defer at once ("thinking…"), ask the core, then send the follow-ups. A private
        answer is seen only by the member (settings changes, button clicks); otherwise
        each reply keeps its own visibility (errors are ephemeral)."""
        await interaction.response.defer(thinking=True, ephemeral=private)
        replies = await self.core.handle(request)
        messages = [m for reply in replies for m in render(reply)]
        if private:
            messages = [dataclasses.replace(m, ephemeral=True) for m in messages]
        try:
            await self._follow_up(interaction, messages, private)
        except discord.HTTPException as exc:
            event(log, "discord.reply_failed", logging.WARNING, status=exc.status, code=exc.code)

    async def _follow_up(
        self, interaction: discord.Interaction[Any], messages: list[Message], deferred: bool
    ) -> None:
        """The first follow-up replaces "thinking…" and inherits its visibility, so when the
        answer's visibility differs the deferred message is removed first."""
        if not messages or messages[0].ephemeral != deferred:
            await interaction.delete_original_response()
        for message in messages:
            kwargs = _send_kwargs(message)
            await interaction.followup.send(**kwargs, ephemeral=message.ephemeral, wait=True)
            _forget_view(kwargs)

    async def on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Anything a command raised: logged, and the member gets a short private answer."""
        event(log, "discord.command_error", logging.ERROR, error=type(error).__name__)
        event(log, "discord.command_trace", logging.DEBUG, exc=error)
        reply = error_reply(PrismError("something went wrong on our side; try again"))
        message = render(reply)[0]
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(**_send_kwargs(message), ephemeral=True)
            else:
                await interaction.response.send_message(**_send_kwargs(message), ephemeral=True)

    # --- sending (digests) ------------------------------------------------------------

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        """Post `reply` to a channel by id. 403/404 -> ChannelGone; other failures ->
        SendFailed; 429s are waited out by discord.py's rate limiter."""
        client = self.client
        if client is None or client.is_closed():
            raise SendFailed("the Discord adapter is not connected")
        if not channel.id.isdigit():
            raise ChannelGone(f"{channel} is not a Discord channel id")
        target = client.get_partial_messageable(int(channel.id))
        for message in render(reply):
            kwargs = _send_kwargs(message)
            try:
                await target.send(**kwargs)
                _forget_view(kwargs)
            except (discord.NotFound, discord.Forbidden) as exc:
                raise ChannelGone(
                    f"Discord channel {channel.id} is gone or closed to the bot "
                    f"({exc.status} {exc.code})"
                ) from None
            except discord.HTTPException as exc:
                raise SendFailed(f"Discord answered {exc.status} ({exc.code})") from None
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise SendFailed(f"Discord unreachable: {type(exc).__name__}") from None


def _send_kwargs(message: Message) -> dict[str, Any]:
    """What every send call shares: embeds, buttons, and mentions disabled."""
    kwargs: dict[str, Any] = {"embeds": list(message.embeds), "allowed_mentions": NO_MENTIONS}
    view = make_view(message.buttons)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def _forget_view(kwargs: dict[str, Any]) -> None:
    """discord.py keeps a sent view in memory to route its clicks; the dynamic items route
    them already (also after a restart), so stopping the view keeps memory flat and
    stops a click from being handled twice."""
    view = kwargs.get("view")
    if isinstance(view, discord.ui.View):
        view.stop()


def _refusal(command: Command, request: Request) -> PrismError | None:
    """The checks Discord's own settings only hint at: guild-only and Manage Channels."""
    if command.guild_only and request.is_private:
        return BadArguments(f"/{command.name} works in a server channel, not in direct messages")
    if command.admin and not request.is_admin:
        return Forbidden(
            "you need the Manage Channels permission in this channel to change its digests"
        )
    return None


def create(config: Config, core: Core) -> DiscordAdapter:
    """The adapter `prism-bot run` starts when a Discord token is configured."""
    return DiscordAdapter(config, core)


def _locale(interaction: discord.Interaction[Any]) -> str | None:
    """The language hint: a guild's preferred locale, or in DMs the user's own."""
    locale = interaction.guild_locale if interaction.guild_id is not None else interaction.locale
    return str(locale) if locale is not None else None


def create_sender(config: Config, core: Core) -> DiscordAdapter:
    """A send-only Discord connection for a `scheduler` process: REST only, no gateway."""
    return DiscordAdapter(config, core, receive=False)
