"""The Telegram adapter: updates become core requests, replies become HTML messages.

Built on python-telegram-bot's Application, started and stopped explicitly on the
shared event loop (never run_polling: Discord and the scheduler run beside it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    ChatMember,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from adapters.telegram_adapter import render
from bot.commands import BY_NAME, COMMANDS, VISIBLE
from bot.config import Config
from bot.errors import (
    ChannelGone,
    ChannelMoved,
    ConfigError,
    PrismError,
    SendFailed,
    Unreachable,
)
from bot.lifecycle import StartStop
from bot.logs import RedactFilter, event
from bot.models import ChannelRef, Reply, Request

log = logging.getLogger("prism.telegram")

# Loggers that see Bot API URLs (the token is part of every one of them).
URL_LOGGERS = ("httpx", "httpcore", "telegram", "telegram.ext")
_SLOW = frozenset({"message", "analyze", "related", "show", "digest"})
_CALLBACK = re.compile(r"^(related|show|useful|inaccurate):(\d{1,18})$")
_THOUGHTS = ("useful", "inaccurate")
_RELATED = re.compile(r"^related:(\d{1,18})$")
_LINK = re.compile(r"https?://", re.IGNORECASE)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@\S+)?\s*(.*)$", re.DOTALL)
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
_ADMIN = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})
_REMEMBERED = 2048  # message -> analysis entries kept for /related as a reply

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class CoreLike(Protocol):
    """The part of bot.core.Core the adapter uses."""

    async def handle(self, request: Request) -> list[Reply]:
        """Answer one request (bot.core.Core.handle)."""
        ...

    async def first_update(self, bot: str, update_id: int) -> bool:
        """Whether this process takes the update (bot.core.Core.first_update)."""
        ...


class TelegramAdapter(StartStop):
    """Implements bot.ports.Adapter for Telegram (polling, or a webhook when configured).

    With `receive=False` it only sends (a `scheduler` process): the Application is built
    without an updater and never started, so nothing calls getUpdates or sets a webhook
    and any number of send-only processes may run beside the one that receives.
    """

    platform = "telegram"

    def __init__(
        self,
        config: Config,
        core: CoreLike,
        *,
        typing_every: float = 4.0,
        receive: bool = True,
    ) -> None:
        if not config.telegram.token:
            raise ConfigError("[telegram] token: required to run the Telegram adapter")
        self.config = config
        self.core = core
        self.typing_every = typing_every
        self.receive = receive
        self._shown: OrderedDict[tuple[int, int], int] = OrderedDict()
        self._redact = RedactFilter([config.telegram.token, config.telegram.secret_token])
        self._quiet_url_loggers(True)  # before building: PTB logs its API URL right away
        self.app: TelegramApp = self._build()

    def _build(self) -> TelegramApp:
        tg, digest = self.config.telegram, self.config.digest
        limiter = AIORateLimiter(
            overall_max_rate=digest.telegram_rate,
            group_max_rate=digest.telegram_chat_per_minute,
            max_retries=tg.max_retries,
        )
        builder = (
            ApplicationBuilder()
            .token(tg.token)
            .rate_limiter(limiter)
            .concurrent_updates(True)  # many users at once; the core does single flight
            .job_queue(None)  # the project's own scheduler runs digests
        )
        if tg.base_url:
            builder = builder.base_url(tg.base_url)
        if tg.base_file_url:
            builder = builder.base_file_url(tg.base_file_url)
        if not self.receive:
            app: TelegramApp = builder.updater(None).build()
            return app  # no handlers: nothing will be received
        app = builder.build()
        if self.config.telegram.webhook_url:  # several processes may receive: answer once
            app.add_handler(TypeHandler(Update, self._once), group=-1)
        for command in COMMANDS:
            names = (command.name, *command.aliases)
            app.add_handler(CommandHandler(names, self._on_command, filters=_MESSAGES))
        app.add_handler(MessageHandler(_MESSAGES & filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_handler(CallbackQueryHandler(self._on_callback, pattern=_CALLBACK))
        app.add_error_handler(self._on_error)
        return app

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, register the commands, and begin polling (or serving the webhook);
        send-only: connect (getMe, for the username deep links use) and nothing more."""
        tg = self.config.telegram
        await self._connect()
        if not self.receive:
            event(log, "telegram-started", bot=self.username, mode="send-only")
            return
        await self._register_commands()
        await self.app.start()
        updater = self.app.updater
        assert updater is not None
        allowed = [Update.MESSAGE, Update.CHANNEL_POST, Update.CALLBACK_QUERY]
        if tg.webhook_url:
            await updater.start_webhook(
                listen=tg.listen,
                port=tg.port,
                url_path=urlsplit(tg.webhook_url).path.lstrip("/"),
                webhook_url=tg.webhook_url,
                secret_token=tg.secret_token,
                allowed_updates=allowed,
            )
        else:
            await updater.start_polling(
                timeout=timedelta(seconds=tg.poll_timeout_s), allowed_updates=allowed
            )
        event(log, "telegram-started", bot=self.username, webhook=bool(tg.webhook_url))

    async def _connect(self) -> None:
        """The first call to the Bot API; its failure is one line naming the setting."""
        try:
            await self.app.initialize()
        except InvalidToken:
            raise ConfigError("[telegram] token: rejected by the Telegram Bot API") from None
        except NetworkError as exc:
            with contextlib.suppress(TelegramError):
                await self.app.bot.shutdown()  # the half-opened HTTP clients
            where = self.config.telegram.base_url or "https://api.telegram.org/bot"
            raise Unreachable(
                f"the Telegram Bot API at {where} cannot be reached ({exc.message}); "
                "check [telegram] base_url and the network"
            ) from None

    async def stop(self) -> None:
        """Stop receiving, let in-flight replies finish, disconnect."""
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        self._quiet_url_loggers(False)
        event(log, "telegram-stopped")

    def _quiet_url_loggers(self, on: bool) -> None:
        """Request URLs carry the token: raise URL loggers to WARNING and redact the rest."""
        for name in ("httpx", "httpcore"):
            logger = logging.getLogger(name)
            if logger.getEffectiveLevel() < logging.WARNING:
                logger.setLevel(logging.WARNING)
        # A logger's filters see only its own records, so every PTB logger gets one.
        for name in {*URL_LOGGERS, *_ptb_loggers()}:
            logger = logging.getLogger(name)
            if on:
                logger.addFilter(self._redact)
            else:
                logger.removeFilter(self._redact)

    async def _register_commands(self) -> None:
        commands = [BotCommand(c.name, c.summary) for c in VISIBLE]
        for scope in (BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()):
            try:
                await self.bot.set_my_commands(commands, scope=scope)
            except TelegramError as exc:
                event(log, "telegram-commands-failed", logging.WARNING, error=exc.message)

    @property
    def bot(self) -> Bot:
        """The Bot of the running Application (its username, its API calls)."""
        bot: Bot = self.app.bot
        return bot

    @property
    def username(self) -> str:
        """The bot's @username once initialised (deep links need it)."""
        try:
            return str(self.bot.username)
        except RuntimeError:
            return ""

    # --- incoming -----------------------------------------------------------------------

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        match = _COMMAND.match(message.text or "") if message else None
        if message is None or match is None:
            return
        name, text = match.group(1).lower(), match.group(2).strip()
        if name == "start" and re.fullmatch(r"a_\d{1,18}", text):
            name, text = "show", text[2:]  # a deep link from a digest or a related list
        request = await self._request(message, name, text)
        await self._answer(message, request)

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text or message.chat.type == ChatType.CHANNEL:
            return  # channels: commands only
        text = message.text
        if message.chat.type != ChatType.PRIVATE:
            if not _LINK.search(text) or not self._addressed(message):
                return  # groups: only links in messages that mention the bot or reply to it
            text = text.replace(f"@{self.username}", " ").strip()
        await self._answer(message, await self._request(message, "message", text))

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        match = _CALLBACK.match(query.data or "")
        if match is not None and match.group(1) in _THOUGHTS:
            await self._on_thought(query, *match.groups())
            return
        try:
            await query.answer()  # first: the button stops spinning
        except TelegramError as exc:
            event(log, "telegram-callback-answer-failed", logging.WARNING, error=exc.message)
        match = _CALLBACK.match(query.data or "")
        if match is None or query.message is None:
            return
        command, ident = match.groups()
        chat = query.message.chat
        private = chat.type == ChatType.PRIVATE
        request = Request(
            command,
            ident,
            ChannelRef(self.platform, str(chat.id)),
            user=str(query.from_user.id),
            is_admin=private,
            is_private=private,
            reply_to=int(ident),
            language=query.from_user.language_code if private else None,
        )
        await self._respond(chat.id, request, trigger=None)

    async def _on_thought(self, query: CallbackQuery, kind: str, ident: str) -> None:
        """Useful / Inaccurate: stored by the core, acknowledged in the button's toast."""
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        request = Request(
            "thought", f"{kind} {ident}", ChannelRef(self.platform, str(chat_id)),
            user=str(query.from_user.id),
        )  # fmt: skip
        replies = await self.core.handle(request)
        text = replies[0].plain_text() if replies else ""
        try:
            await query.answer(text.split("\n")[-1][:200] or None)
        except TelegramError as exc:
            event(log, "telegram-callback-answer-failed", logging.WARNING, error=exc.message)

    async def _once(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Before any handler: an update another process (or this one) took already stops
        here. Telegram retries a webhook delivery it thinks failed, and a load balancer
        may hand the retry to another process."""
        bot = self.config.telegram.token.partition(":")[0]  # the bot's id, not its secret
        if not await self.core.first_update(bot, update.update_id):
            event(log, "telegram-update-duplicate", update_id=update.update_id)
            raise ApplicationHandlerStop

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        name = type(error).__name__
        detail = getattr(error, "message", None) or str(error)
        event(log, "telegram-error", logging.ERROR, error=name, detail=self._redact.redact(detail))

    async def _request(self, message: Message, command: str, text: str) -> Request:
        """A core request for a message, with admin rights looked up only when they matter."""
        chat = message.chat
        private = chat.type == ChatType.PRIVATE
        spec = BY_NAME.get(command)
        admin = private or (spec is not None and spec.admin and await self._is_admin(message))
        who = message.from_user.id if message.from_user else (message.sender_chat or chat).id
        return Request(
            command,
            text,
            ChannelRef(self.platform, str(chat.id)),
            user=str(who),
            is_admin=admin,
            is_private=private,
            reply_to=self._analysis_of(message.reply_to_message),
            # a private chat reads in its user's app language unless /language says else
            language=message.from_user.language_code if private and message.from_user else None,
        )

    async def _is_admin(self, message: Message) -> bool:
        chat = message.chat
        if chat.type == ChatType.CHANNEL:
            return True  # only a channel's admins can post in it
        if message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # an anonymous group admin posts as the group itself
        if message.from_user is None:
            return False
        try:
            member = await self.bot.get_chat_member(chat.id, message.from_user.id)
        except TelegramError as exc:
            event(log, "telegram-admin-check-failed", logging.WARNING, error=exc.message)
            return False
        return member.status in _ADMIN

    def _addressed(self, message: Message) -> bool:
        """Does a group message mention the bot or reply to one of its messages?"""
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == self.bot.id:
            return True
        mention = f"@{self.username}".casefold()
        for entity, text in message.parse_entities().items():
            if entity.type == MessageEntityType.MENTION and text.casefold() == mention:
                return True
            user = entity.user
            if entity.type == MessageEntityType.TEXT_MENTION and user and user.id == self.bot.id:
                return True
        return False

    def _analysis_of(self, message: Message | None) -> int | None:
        """Which analysis a bot message shows: remembered, or read off its Related button."""
        if message is None:
            return None
        known = self._shown.get((message.chat.id, message.message_id))
        if known is not None:
            return known
        if message.from_user is None or message.from_user.id != self.bot.id:
            return None
        for data in _callback_data(message):
            match = _RELATED.match(data)
            if match:
                return int(match.group(1))
        return None

    # --- outgoing -----------------------------------------------------------------------

    async def _answer(self, message: Message, request: Request) -> None:
        await self._respond(message.chat.id, request, trigger=message.message_id)

    async def _respond(self, chat_id: int, request: Request, trigger: int | None) -> None:
        """Run the request with a typing indicator, then send every reply."""
        typing = None
        if request.command in _SLOW:
            typing = asyncio.create_task(self._keep_typing(chat_id))
        try:
            replies = await self.core.handle(request)
        finally:
            if typing is not None:
                typing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await typing
        for reply in replies:
            quote = trigger if (reply.kind == "error" or not request.is_private) else None
            try:
                await self._deliver(chat_id, reply, quote)
            except PrismError as exc:
                event(log, "telegram-reply-failed", logging.WARNING, chat=chat_id, error=exc.kind)

    async def _keep_typing(self, chat_id: int) -> None:
        while True:
            try:
                await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:
                event(log, "telegram-typing-failed", logging.DEBUG, error=exc.message)
            await asyncio.sleep(self.typing_every)

    async def send(self, channel: ChannelRef, reply: Reply) -> None:
        """Deliver a reply (a digest) to a chat; raises ChannelGone/ChannelMoved/SendFailed."""
        await self._deliver(_chat_id(channel.id), reply, None)

    async def _deliver(self, chat_id: int | str, reply: Reply, quote: int | None) -> None:
        parts = render.render(reply, self.username)
        try:
            for i, part in enumerate(parts):
                sent = await self._send_part(chat_id, part, quote if i == 0 else None)
                if reply.analysis_id is not None:
                    self._remember(sent, reply.analysis_id)
        except TelegramError as exc:
            raise _translate(exc, chat_id) from exc

    async def _send_part(self, chat_id: int | str, part: render.Part, quote: int | None) -> Message:
        """One message; refused entities are sent again as plain text rather than lost."""
        reply_parameters = (
            ReplyParameters(quote, allow_sending_without_reply=True) if quote else None
        )
        try:
            return await self.bot.send_message(
                chat_id,
                part.html,
                parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
                reply_markup=part.keyboard,
                reply_parameters=reply_parameters,
            )
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            event(log, "telegram-entities-refused", logging.WARNING, error=exc.message)
            return await self.bot.send_message(
                chat_id,
                render.plain(part.html),
                link_preview_options=_NO_PREVIEW,
                reply_markup=part.keyboard,
                reply_parameters=reply_parameters,
            )

    def _remember(self, message: Message, analysis_id: int) -> None:
        self._shown[(message.chat.id, message.message_id)] = analysis_id
        while len(self._shown) > _REMEMBERED:
            self._shown.popitem(last=False)


def create(config: Config, core: CoreLike) -> TelegramAdapter:
    """The entry point `prism-bot run` calls when a Telegram token is configured."""
    return TelegramAdapter(config, core)


def create_sender(config: Config, core: CoreLike) -> TelegramAdapter:
    """A send-only Telegram connection for a `scheduler` process: no getUpdates, no webhook."""
    return TelegramAdapter(config, core, receive=False)


def _chat_id(ident: str) -> int | str:
    """Numeric ids as int; `@channelname` stays a string, as the Bot API accepts both."""
    try:
        return int(ident)
    except ValueError:
        return ident


def _translate(exc: TelegramError, chat_id: int | str) -> PrismError:
    """Bot API failures as the delivery code's three outcomes."""
    if isinstance(exc, ChatMigrated):
        new_id = str(exc.new_chat_id)
        return ChannelMoved(f"telegram chat {chat_id} moved to {new_id}", new_id=new_id)
    if isinstance(exc, Forbidden):
        return ChannelGone(f"telegram chat {chat_id}: {exc.message}")
    if isinstance(exc, BadRequest) and "chat not found" in exc.message.lower():
        return ChannelGone(f"telegram chat {chat_id}: {exc.message}")
    if isinstance(exc, RetryAfter):
        return SendFailed(f"telegram chat {chat_id}: still rate limited after retries")
    return SendFailed(f"telegram chat {chat_id}: {exc.message}")


def _callback_data(message: Message) -> Iterator[str]:
    markup = message.reply_markup
    if markup is None:
        return
    for row in markup.inline_keyboard:
        for button in row:
            if isinstance(button.callback_data, str):
                yield button.callback_data


def _ptb_loggers() -> list[str]:
    """Every python-telegram-bot logger that exists (they are made at import time)."""
    return [n for n in logging.root.manager.loggerDict if n.startswith("telegram")]
