"""A local Discord-compatible server for tests: REST under /api/v10 and a gateway websocket.

Built from Discord's published API documentation, it is strict where Discord is
strict, so the real discord.py client talks to it as to Discord and every limit the
adapter must respect is checked on the wire:

- REST answers carry exactly `application/json`; errors use Discord's shapes
  (`{"code": 50035, "message": "Invalid Form Body", "errors": {...}}`, 10003 Unknown
  Channel, 50001 Missing Access, 40060 already acknowledged, 10062 Unknown
  interaction, 429 with `retry_after` and the `Via` header discord.py needs).
- Message limits: content 2000, 10 embeds, title 256, description 4096, 25 fields,
  field name 256 / value 1024, footer 2048, author 256, 6000 embed characters in
  total, 5 action rows of 5 components, custom_id 100, label 80.
- Interactions must be answered once, within `deadline_s` (Discord: 3 seconds); after
  a deferral the first follow-up replaces the "thinking…" message and inherits the
  deferral's ephemerality, as on Discord.
- The gateway speaks HELLO, heartbeats and ACKs, IDENTIFY -> READY + GUILD_CREATE,
  RESUME (replaying missed events) and dispatches INTERACTION_CREATE and
  MESSAGE_CREATE with realistic payloads.

Everything the bot does is recorded (`calls`, `messages`, `interactions`,
`commands`) and tests wait on it with `wait_for(predicate)`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import WSMsgType, web

API = "/api/v10"
ALL_PERMISSIONS = (1 << 51) - 1
MANAGE_CHANNELS = 1 << 4
EPHEMERAL = 1 << 6
MESSAGE_CONTENT_INTENT = 1 << 15
BASIC_MEMBER = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31)  # view, send, history, app cmds

BODY = web.RequestKey("body", object)  # the decoded JSON body, kept by the recording middleware
_NAME = re.compile(r"^[-_\w]{1,32}$")
_SNOWFLAKES = itertools.count(1_180_000_000_000_000_001)


def snowflake() -> str:
    return str(next(_SNOWFLAKES))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """discord.py decodes a body only when Content-Type is exactly application/json."""
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error(
    status: int, code: int, message: str, errors: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


class FormErrors:
    """Collects field errors into Discord's nested `errors` object."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def response(self) -> web.Response | None:
        if not self.tree:
            return None
        return error(400, 50035, "Invalid Form Body", self.tree)


# --- message validation ------------------------------------------------------------------


def validate_message(payload: dict[str, Any], errs: FormErrors) -> None:
    """Discord's limits for a message body (channel message, response or follow-up)."""
    errs.max_length(("content",), payload.get("content"), 2000)
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errs.add(("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        total += _validate_embed(embed, ("embeds", i), errs)
    if total > 6000:
        errs.add(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    _validate_components(payload.get("components") or [], errs)
    mentions = payload.get("allowed_mentions")
    if mentions is not None and not isinstance(mentions.get("parse", []), list):
        errs.add(("allowed_mentions", "parse"), "BASE_TYPE_BAD_LIST", "Must be a list.")


def _validate_embed(embed: dict[str, Any], path: tuple[str | int, ...], errs: FormErrors) -> int:
    """Checks one embed and returns its size in characters, as Discord counts it."""
    size = 0
    for key, limit in (("title", 256), ("description", 4096)):
        errs.max_length((*path, key), embed.get(key), limit)
        size += len(embed.get(key) or "")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errs.add((*path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for j, f in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = f.get(key)
            if not isinstance(value, str) or not value.strip():
                errs.add((*path, "fields", j, key), "BASE_TYPE_REQUIRED", "This field is required")
            errs.max_length((*path, "fields", j, key), value, limit)
            size += len(value or "")
    footer = (embed.get("footer") or {}).get("text")
    errs.max_length((*path, "footer", "text"), footer, 2048)
    author = (embed.get("author") or {}).get("name")
    errs.max_length((*path, "author", "name"), author, 256)
    url = embed.get("url")
    if url is not None and not re.match(r"https?://", url):
        errs.add((*path, "url"), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    return size + len(footer or "") + len(author or "")


def _validate_components(rows: list[dict[str, Any]], errs: FormErrors) -> None:
    if len(rows) > 5:
        errs.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, row in enumerate(rows):
        children = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(children) <= 5:
            errs.add(("components", i), "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Invalid action row")
        for j, button in enumerate(children):
            path = ("components", i, "components", j)
            errs.max_length((*path, "label"), button.get("label"), 80)
            errs.max_length((*path, "custom_id"), button.get("custom_id"), 100)
            if button.get("style") == 5:
                if not button.get("url") or "custom_id" in button:
                    errs.add(path, "BUTTON_COMPONENT_INVALID", "Link buttons need a url only")
            elif not button.get("custom_id"):
                errs.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")


def is_empty_message(payload: dict[str, Any]) -> bool:
    return not (payload.get("content") or payload.get("embeds") or payload.get("components"))


def validate_commands(commands: list[dict[str, Any]], errs: FormErrors) -> None:
    """Bulk overwrite of chat-input commands: names, descriptions, options, choices."""
    seen: set[str] = set()
    for i, cmd in enumerate(commands):
        name = cmd.get("name", "")
        if not _NAME.match(name) or name != name.lower():
            errs.add((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if name in seen:
            errs.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate name")
        seen.add(name)
        desc = cmd.get("description", "")
        if not 1 <= len(desc) <= 100:
            errs.add((i, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100")
        _validate_options(cmd.get("options") or [], (i, "options"), errs)


def _validate_options(
    options: list[dict[str, Any]], path: tuple[Any, ...], errs: FormErrors
) -> None:
    if len(options) > 25:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    optional_seen = False
    for j, opt in enumerate(options):
        if not _NAME.match(opt.get("name", "")) or opt["name"] != opt["name"].lower():
            errs.add((*path, j, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Invalid name")
        if not 1 <= len(opt.get("description", "")) <= 100:
            errs.add((*path, j, "description"), "BASE_TYPE_BAD_LENGTH", "Must be 1 to 100")
        if opt.get("required"):
            if optional_seen:
                errs.add(
                    (*path, j, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            errs.add((*path, j, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer")
        if choices and opt.get("autocomplete"):
            errs.add((*path, j, "autocomplete"), "AUTOCOMPLETE_INVALID", "Not with choices")
        for k, choice in enumerate(choices):
            if not 1 <= len(choice.get("name", "")) <= 100:
                errs.add((*path, j, "choices", k, "name"), "BASE_TYPE_BAD_LENGTH", "1 to 100")


def validate_choices(choices: list[dict[str, Any]], errs: FormErrors) -> None:
    """An autocomplete result: at most 25 choices, names 1-100, values at most 100."""
    if len(choices) > 25:
        errs.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            errs.add(("data", "choices", i, "name"), "BASE_TYPE_BAD_LENGTH", "1 to 100")
        errs.max_length(("data", "choices", i, "value"), choice.get("value"), 100)


# --- records -------------------------------------------------------------------------------


@dataclass
class Call:
    """One REST request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Posted:
    """One message the bot made visible: in a channel, as a response or a follow-up."""

    id: str
    channel_id: str
    payload: dict[str, Any]
    ephemeral: bool
    interaction_id: str | None = None
    kind: str = "channel"  # "channel" | "response" | "followup" | "original"

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.payload.get("embeds") or [])

    @property
    def custom_ids(self) -> list[str]:
        return [
            c["custom_id"]
            for row in self.payload.get("components") or []
            for c in row.get("components") or []
            if "custom_id" in c
        ]

    @property
    def link_urls(self) -> list[str]:
        return [
            c["url"]
            for row in self.payload.get("components") or []
            for c in row.get("components") or []
            if c.get("style") == 5
        ]

    def text(self) -> str:
        """Everything a reader sees: content, embed titles, descriptions, fields, footers."""
        parts = [self.payload.get("content") or ""]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            parts += [f"{f['name']}\n{f['value']}" for f in e.get("fields") or []]
            parts.append((e.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)


@dataclass
class Interaction:
    """One interaction the server dispatched, and everything the bot answered to it."""

    id: str
    token: str
    type: int
    payload: dict[str, Any]
    sent_at: float
    response_type: int | None = None
    response: dict[str, Any] | None = None
    deferred_ephemeral: bool = False
    original: str = "none"  # "none" | "loading" | "message" | "deleted"
    messages: list[Posted] = field(default_factory=list)  # response + follow-ups, in order
    errors: list[int] = field(default_factory=list)  # Discord error codes the bot received

    @property
    def acked(self) -> bool:
        return self.response_type is not None

    @property
    def choices(self) -> list[dict[str, Any]]:
        return list((self.response or {}).get("choices") or [])


@dataclass
class Session:
    """One gateway connection."""

    ws: web.WebSocketResponse
    path: str
    query: dict[str, str]
    session_id: str = ""
    seq: int = 0
    intents: int = 0
    identified: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)


class DiscordServer:
    """The server; start() binds 127.0.0.1 on a free port."""

    def __init__(
        self, token: str = "MTIz.test-bot-token.s3cr3t-value-9f8e7d", *, heartbeat_ms: int = 41250
    ) -> None:
        self.token = token
        self.heartbeat_ms = heartbeat_ms
        self.deadline_s = 3.0
        self.privileged_intents = True
        self.send_ready = True  # False: IDENTIFY is never answered
        self.followup_error: tuple[int, int, str] | None = None  # (status, code, message)
        self.app_id = snowflake()
        self.bot_user = _user(self.app_id, "prism", bot=True)
        self.owner = _user(snowflake(), "owner")
        self.guild_id = snowflake()
        self.guild_locale = "en-US"  # the guild's preferred locale (a language hint)
        self.channel_id = snowflake()
        self.other_channel_id = snowflake()
        self.deleted_channels: set[str] = set()
        self.forbidden_channels: set[str] = set()
        self.rate_limited: dict[str, list[float]] = {}  # channel id -> retry_after per 429
        self.cloudflare_blocked: set[str] = set()  # 429 without Via: not Discord's limiter
        self.typing: list[str] = []
        self.calls: list[Call] = []
        self.messages: list[Posted] = []
        self.interactions: dict[str, Interaction] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        self.sessions: list[Session] = []
        self.closed_sessions: dict[str, Session] = {}
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.gateway_paths: list[str] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return self.url + API

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> DiscordServer:
        app = web.Application(middlewares=[self._record])
        self._routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for session in list(self.sessions):
            await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    def _routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get(API + "/gateway", self._gateway_info)
        r.add_get(API + "/gateway/bot", self._gateway_bot)
        r.add_get(API + "/users/@me", self._me)
        r.add_get(API + "/oauth2/applications/@me", self._application)
        r.add_get(API + "/applications/@me", self._application)
        r.add_put(API + "/applications/{app}/commands", self._put_commands)
        r.add_put(API + "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        r.add_post(API + "/interactions/{id}/{token}/callback", self._callback)
        r.add_post(API + "/webhooks/{app}/{token}", self._followup)
        r.add_patch(API + "/webhooks/{app}/{token}/messages/@original", self._edit_original)
        r.add_delete(API + "/webhooks/{app}/{token}/messages/@original", self._delete_original)
        r.add_post(API + "/channels/{channel}/messages", self._channel_message)
        r.add_post(API + "/channels/{channel}/typing", self._typing)
        r.add_get("/gateway", self._gateway)
        r.add_get("/resume", self._gateway)

    # --- waiting -----------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], object], within: float = 5.0) -> None:
        """Until `predicate()` is true; it is re-checked whenever the server records something."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- REST: recording and auth ---------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            ctype = request.headers.get("Content-Type", "")
            if ctype.split(";")[0] == "application/json":
                body = json.loads(raw)
            elif raw:
                body = raw
        call = Call(request.method, request.path, dict(request.query), dict(request.headers), body)
        request[BODY] = body
        self.calls.append(call)
        authorised = request.headers.get("Authorization") == f"Bot {self.token}"
        if _needs_auth(request.path) and not authorised:
            response: web.StreamResponse = error(401, 0, "401: Unauthorized")
            call.status = response.status
            return response
        response = await handler(request)
        call.status = response.status
        await self._notify()
        return response

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": self.app_id,
                "name": "prism",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner,
                "verify_key": "0" * 64,
                "team": None,
                "flags": 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
                "summary": "",
                "bot": self.bot_user,
            }
        )

    async def _put_commands(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != self.app_id:
            return error(403, 50001, "Missing Access")
        commands = request[BODY]
        if not isinstance(commands, list):
            return error(400, 50035, "Invalid Form Body")
        errs = FormErrors()
        validate_commands(commands, errs)
        if (bad := errs.response()) is not None:
            return bad
        guild = request.match_info.get("guild")
        stored = [
            {**c, "id": snowflake(), "application_id": self.app_id, "version": snowflake()}
            | ({"guild_id": guild} if guild else {})
            for c in commands
        ]
        self.commands[guild] = stored
        return json_response(stored)

    # --- REST: interactions ----------------------------------------------------------------

    def _interaction(self, ident: str, token: str) -> Interaction | None:
        ix = self.interactions.get(ident)
        return ix if ix is not None and ix.token == token else None

    def _by_token(self, token: str) -> Interaction | None:
        return next((ix for ix in self.interactions.values() if ix.token == token), None)

    async def _callback(self, request: web.Request) -> web.Response:
        ix = self._interaction(request.match_info["id"], request.match_info["token"])
        loop = asyncio.get_running_loop()
        if ix is None or loop.time() - ix.sent_at > self.deadline_s:
            if ix is not None:
                ix.errors.append(10062)
            return error(404, 10062, "Unknown interaction")
        if ix.acked:
            ix.errors.append(40060)
            return error(400, 40060, "Interaction has already been acknowledged.")
        body = _json(request)
        kind, data = body.get("type"), body.get("data") or {}
        errs = FormErrors()
        if kind in (4, 7):
            validate_message(data, errs)
        elif kind == 8:
            validate_choices(data.get("choices") or [], errs)
        elif kind not in (5, 6):
            errs.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of (4, 5, 6, 7, 8, 9).")
        if (bad := errs.response()) is not None:
            ix.errors.append(50035)
            return bad
        ix.response_type, ix.response = int(kind or 0), data
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        posted = None
        if kind == 4:
            posted = self._post(ix.payload["channel_id"], data, ephemeral, ix, "response")
            ix.original = "message"
        elif kind == 5:
            ix.deferred_ephemeral, ix.original = ephemeral, "loading"
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        return json_response(self._callback_response(ix, ix.response_type, ephemeral, posted))

    def _callback_response(
        self, ix: Interaction, kind: int, ephemeral: bool, posted: Posted | None
    ) -> dict[str, Any]:
        callback: dict[str, Any] = {"id": ix.id, "type": ix.type}
        if kind in (4, 5):
            callback |= {
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            }
        resource: dict[str, Any] = {"type": kind}
        if posted is not None:
            callback["response_message_id"] = posted.id
            resource["message"] = self.message_object(posted)
        return {"interaction": callback, "resource": resource}

    async def _followup(self, request: web.Request) -> web.Response:
        ix = self._by_token(request.match_info["token"])
        if ix is None or request.match_info["app"] != self.app_id or not ix.acked:
            return error(404, 10015, "Unknown Webhook")
        if self.followup_error is not None:
            status, code, message = self.followup_error
            ix.errors.append(code)
            return error(status, code, message)
        data = _json(request)
        errs = FormErrors()
        validate_message(data, errs)
        if is_empty_message(data):
            return error(400, 50006, "Cannot send an empty message")
        if (bad := errs.response()) is not None:
            ix.errors.append(50035)
            return bad
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        kind = "followup"
        if ix.original == "loading":  # the first follow-up replaces "thinking…"
            ephemeral, kind, ix.original = ix.deferred_ephemeral, "original", "message"
        posted = self._post(ix.payload["channel_id"], data, ephemeral, ix, kind)
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(self.message_object(posted))
        return web.Response(status=204)

    async def _edit_original(self, request: web.Request) -> web.Response:
        ix = self._by_token(request.match_info["token"])
        if ix is None or ix.original in ("none", "deleted"):
            return error(404, 10008, "Unknown Message")
        data = _json(request)
        errs = FormErrors()
        validate_message(data, errs)
        if (bad := errs.response()) is not None:
            return bad
        ephemeral = ix.deferred_ephemeral if ix.original == "loading" else False
        ix.original = "message"
        posted = self._post(ix.payload["channel_id"], data, ephemeral, ix, "original")
        return json_response(self.message_object(posted))

    async def _delete_original(self, request: web.Request) -> web.Response:
        ix = self._by_token(request.match_info["token"])
        if ix is None or ix.original in ("none", "deleted"):
            return error(404, 10008, "Unknown Message")
        ix.original = "deleted"
        return web.Response(status=204)

    # --- REST: channels ---------------------------------------------------------------------

    async def _channel_message(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        if channel in self.deleted_channels or channel not in self.channels:
            return error(404, 10003, "Unknown Channel")
        if channel in self.forbidden_channels:
            return error(403, 50001, "Missing Access")
        pending = self.rate_limited.get(channel)
        if pending:
            return _too_many(pending.pop(0))
        if channel in self.cloudflare_blocked:
            return error(429, 0, "You are being blocked from accessing our API temporarily.")
        data = _json(request)
        errs = FormErrors()
        validate_message(data, errs)
        if is_empty_message(data):
            return error(400, 50006, "Cannot send an empty message")
        if (bad := errs.response()) is not None:
            return bad
        posted = self._post(channel, data, False, None, "channel")
        return json_response(self.message_object(posted))

    async def _typing(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        if channel not in self.channels or channel in self.deleted_channels:
            return error(404, 10003, "Unknown Channel")
        self.typing.append(channel)
        return web.Response(status=204)

    @property
    def channels(self) -> set[str]:
        return {self.channel_id, self.other_channel_id, *self.deleted_channels}

    def _post(
        self,
        channel: str,
        data: dict[str, Any],
        ephemeral: bool,
        ix: Interaction | None,
        kind: str,
    ) -> Posted:
        posted = Posted(snowflake(), channel, data, ephemeral, ix.id if ix else None, kind)
        self.messages.append(posted)
        if ix is not None:
            ix.messages.append(posted)
        return posted

    def message_object(self, posted: Posted) -> dict[str, Any]:
        """A Discord message object for what the bot posted (ids, author, embeds, components)."""
        data = posted.payload
        return {
            "id": posted.id,
            "channel_id": posted.channel_id,
            "author": self.bot_user,
            "content": data.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": EPHEMERAL if posted.ephemeral else 0,
            "application_id": self.app_id,
            "webhook_id": self.app_id if posted.interaction_id else None,
        }

    # --- gateway --------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = Session(ws, request.path, dict(request.query))
        self.sessions.append(session)
        self.gateway_paths.append(request.path)
        await self._notify()
        try:
            await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._gateway_op(session, json.loads(msg.data))
        finally:
            self.sessions.remove(session)
            if session.session_id:
                self.closed_sessions[session.session_id] = session
            await self._notify()
        return ws

    async def _gateway_op(self, session: Session, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        data = data if isinstance(data, dict) else {}
        if op == 1:
            self.heartbeats += 1
            await session.ws.send_json({"op": 11})
        elif op == 2:
            await self._identify(session, data)
        elif op == 6:
            await self._resume(session, data)
        await self._notify()

    async def _identify(self, session: Session, data: dict[str, Any]) -> None:
        self.identifies.append({k: v for k, v in data.items() if k != "token"})
        if data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents") or 0)
        if intents & MESSAGE_CONTENT_INTENT and not self.privileged_intents:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        if not self.send_ready:
            return
        session.session_id, session.intents, session.identified = snowflake(), intents, True
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": session.session_id,
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/resume",
            "shard": data.get("shard") or [0, 1],  # as Discord: the shard that identified
            "application": {"id": self.app_id, "flags": 1 << 19},
        }
        await self._send(session, "READY", ready)
        await self._send(session, "GUILD_CREATE", self.guild_object())

    async def _resume(self, session: Session, data: dict[str, Any]) -> None:
        self.resumes.append({k: v for k, v in data.items() if k != "token"})
        old = self.closed_sessions.pop(data.get("session_id", ""), None)
        if old is None or data.get("token") != self.token:
            await session.ws.send_json({"op": 9, "d": False})
            return
        session.session_id, session.intents, session.identified = old.session_id, old.intents, True
        session.seq, session.sent = old.seq, old.sent
        for missed in [m for m in old.sent if m["s"] > int(data.get("seq") or 0)]:
            await session.ws.send_json(missed)
        await self._send(session, "RESUMED", {})

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.sent.append(frame)
        await session.ws.send_json(frame)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one gateway event to every identified session."""
        live = [s for s in self.sessions if s.identified]
        if not live:
            raise AssertionError("no identified gateway session to dispatch to")
        for session in live:
            await self._send(session, event, data)

    async def invalidate_sessions(self) -> None:
        """Op 9 with d=false: the client must IDENTIFY again from its default gateway."""
        for session in list(self.sessions):
            await session.ws.send_json({"op": 9, "d": False})

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway socket with a resumable code."""
        for session in list(self.sessions):
            await session.ws.close(code=code)

    # --- payloads ----------------------------------------------------------------------------

    def guild_object(self) -> dict[str, Any]:
        everyone = {
            "id": self.guild_id,
            "name": "@everyone",
            "permissions": str(BASIC_MEMBER),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        moderators = {**everyone, "id": snowflake(), "name": "moderators", "position": 1}
        moderators["permissions"] = str(BASIC_MEMBER | MANAGE_CHANNELS)
        return {
            "id": self.guild_id,
            "name": "Test Guild",
            "icon": None,
            "owner_id": self.owner["id"],
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "features": [],
            "roles": [everyone, moderators],
            "emojis": [],
            "stickers": [],
            "channels": [self.channel_object(c, n) for c, n in self._named_channels()],
            "threads": [],
            "members": [self.member_object(self.bot_user, ALL_PERMISSIONS)],
            "member_count": 3,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "joined_at": _now(),
            "system_channel_id": None,
        }

    def _named_channels(self) -> list[tuple[str, str]]:
        return [(self.channel_id, "news"), (self.other_channel_id, "economy")]

    def channel_object(self, channel_id: str, name: str = "news") -> dict[str, Any]:
        return {
            "id": channel_id,
            "type": 0,
            "guild_id": self.guild_id,
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }

    def member_object(self, user: dict[str, Any], permissions: int) -> dict[str, Any]:
        return {
            "user": user,
            "nick": None,
            "avatar": None,
            "roles": [],
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": str(permissions),
        }

    def _interaction_base(
        self,
        kind: int,
        user: dict[str, Any] | None,
        permissions: int,
        guild: bool,
        channel_id: str | None = None,
    ) -> dict[str, Any]:
        user = user or _user(snowflake(), "reader")
        base: dict[str, Any] = {
            "id": snowflake(),
            "application_id": self.app_id,
            "type": kind,
            "token": "aW50ZXJhY3Rpb24" + snowflake(),
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(ALL_PERMISSIONS),
        }
        if guild:
            channel_id = channel_id or self.channel_id
            base |= {
                "guild_id": self.guild_id,
                "guild_locale": self.guild_locale,
                "guild": {"id": self.guild_id, "locale": self.guild_locale, "features": []},
                "channel_id": channel_id,
                "channel": self.channel_object(channel_id),
                "member": self.member_object(user, permissions),
                "authorizing_integration_owners": {"0": self.guild_id},
                "context": 0,
            }
        else:
            dm = snowflake()
            base |= {
                "channel_id": dm,
                "channel": {"id": dm, "type": 1, "recipients": [user], "last_message_id": None},
                "user": user,
                "authorizing_integration_owners": {"0": self.guild_id},
                "context": 1,
            }
        return base

    async def _start_interaction(self, payload: dict[str, Any]) -> Interaction:
        ix = Interaction(
            payload["id"],
            payload["token"],
            payload["type"],
            payload,
            asyncio.get_running_loop().time(),
        )
        self.interactions[ix.id] = ix
        await self.dispatch("INTERACTION_CREATE", payload)
        return ix

    def command(self, name: str, guild: bool = True) -> dict[str, Any]:
        """A registered command, as Discord would look it up (guild commands first)."""
        scopes = [self.guild_id, None] if guild else [None]
        for scope in scopes:
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name:
                    return cmd
        raise AssertionError(f"/{name} is not registered")

    async def slash(
        self,
        name: str,
        options: dict[str, str] | None = None,
        *,
        permissions: int = BASIC_MEMBER,
        guild: bool = True,
        user: dict[str, Any] | None = None,
        channel_id: str | None = None,
    ) -> Interaction:
        """A member runs /name with string options (as Discord sends them)."""
        cmd = self.command(name, guild)
        payload = self._interaction_base(2, user, permissions, guild, channel_id)
        data: dict[str, Any] = {"id": cmd["id"], "name": name, "type": 1}
        data["options"] = [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        payload["data"] = data
        return await self._start_interaction(payload)

    async def autocomplete(
        self, name: str, option: str, typed: str, others: dict[str, str] | None = None
    ) -> Interaction:
        """A member types into an autocomplete option."""
        cmd = self.command(name)
        payload = self._interaction_base(4, None, BASIC_MEMBER, True)
        opts = [{"name": k, "type": 3, "value": v} for k, v in (others or {}).items()]
        opts.append({"name": option, "type": 3, "value": typed, "focused": True})
        payload["data"] = {"id": cmd["id"], "name": name, "type": 1, "options": opts}
        return await self._start_interaction(payload)

    async def click(
        self, message: Posted, custom_id: str, *, permissions: int = BASIC_MEMBER
    ) -> Interaction:
        """A member clicks a button on a message the bot posted."""
        if custom_id not in message.custom_ids:
            raise AssertionError(f"no button {custom_id!r} on that message")
        payload = self._interaction_base(3, None, permissions, True)
        payload["message"] = self.message_object(message)
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return await self._start_interaction(payload)

    async def say(self, content: str, *, mention_bot: bool = False) -> dict[str, Any]:
        """A member posts a message in the guild channel (MESSAGE_CREATE)."""
        author = _user(snowflake(), "reader")
        mentions = [self.bot_user] if mention_bot else []
        message = {
            "id": snowflake(),
            "channel_id": self.channel_id,
            "guild_id": self.guild_id,
            "author": author,
            "member": {k: v for k, v in self.member_object(author, 0).items() if k != "user"},
            "content": content,
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": mentions,
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    def channel_messages(self, channel: str | None = None) -> list[Posted]:
        channel = channel or self.channel_id
        return [m for m in self.messages if m.kind == "channel" and m.channel_id == channel]


def _json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body ({} when there is none)."""
    body = request[BODY]
    return body if isinstance(body, dict) else {}


def _user(ident: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": ident,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def _needs_auth(path: str) -> bool:
    """Interaction callbacks and webhook-token routes are authorised by their token."""
    if not path.startswith(API + "/"):
        return False
    rest = path[len(API) :]
    return not (rest.startswith("/interactions/") or rest.startswith("/webhooks/"))


def _too_many(retry_after: float) -> web.Response:
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": "0a1b2c3d4e5f",
        "X-RateLimit-Scope": "user",
    }
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    return json_response(body, 429, headers)


@pytest.fixture
async def discord_server() -> AsyncIterator[DiscordServer]:
    server = await DiscordServer().start()
    yield server
    await server.close()
