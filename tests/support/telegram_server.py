"""A local Telegram Bot API server for tests: the real python-telegram-bot talks to it.

It speaks `/bot<token>/<method>` with Telegram's envelopes and error shapes, validates
sendMessage the way Telegram does (HTML well-formed with supported tags only, length
after entity parsing), serves injected updates to long-polling getUpdates, and records
every call so tests can assert on what the bot really sent.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

MAX_TEXT = 4096
ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-spoiler",
        "span",
    }
)
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s>\"'<]+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
    }
)
_INT_FIELDS = frozenset({"user_id", "offset", "limit", "message_id", "reply_to_message_id"})


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class EntityError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's detail."""


def parse_html(text: str) -> str:
    """Telegram's HTML parse mode: return the visible text or raise EntityError."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            i = _parse_tag(text, i, stack)
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise EntityError(f"Unsupported entity at byte offset {_offset(text, i)}")
            out.append(html.unescape(m.group(0)))
            i = m.end()
        elif ch == ">":
            raise EntityError(f"Unexpected end tag at byte offset {_offset(text, i)}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-8"))


def _parse_tag(text: str, i: int, stack: list[str]) -> int:
    m = _TAG.match(text, i)
    if not m:
        raise EntityError(f"Unclosed start tag at byte offset {_offset(text, i)}")
    closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
    if name not in ALLOWED_TAGS:
        kind = "end" if closing else "start"
        raise EntityError(f'Unsupported {kind} tag "{name}" at byte offset {_offset(text, i)}')
    if closing:
        if not stack or stack[-1] != name:
            raise EntityError(
                f'Unmatched end tag at byte offset {_offset(text, i)}, expected "</'
                f'{stack[-1] if stack else ""}>", found "</{name}>"'
            )
        stack.pop()
        return m.end()
    values = {
        a.group(1).lower(): html.unescape(a.group(2) or a.group(3) or a.group(4) or "")
        for a in _ATTR.finditer(attrs)
    }
    if name == "a" and not values.get("href"):
        raise EntityError(f"Empty href in a tag at byte offset {_offset(text, i)}")
    if name == "span" and values.get("class") != "tg-spoiler":
        raise EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {i}')
    stack.append(name)
    return m.end()


# --- updates as Telegram sends them -----------------------------------------------------


def user(uid: int, first_name: str = "User", username: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": first_name}
    if username:
        out["username"] = username
    return out


def chat(cid: int, kind: str | None = None, title: str = "Test chat") -> dict[str, Any]:
    """A chat dict; the type follows Telegram's id conventions unless given."""
    if kind is None:
        kind = "private" if cid > 0 else ("supergroup" if str(cid).startswith("-100") else "group")
    out: dict[str, Any] = {"id": cid, "type": kind}
    if kind == "private":
        out["first_name"] = "User"
    else:
        out["title"] = title
    return out


_ENTITY_PATTERNS = (
    ("bot_command", re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?")),
    ("url", re.compile(r"https?://[^\s<>\"]+")),
    ("mention", re.compile(r"(?<![\w/])@[A-Za-z0-9_]{5,32}")),
)


def entities_for(text: str) -> list[dict[str, Any]]:
    """The entities Telegram attaches: commands, links and mentions, in UTF-16 offsets."""
    found: list[dict[str, Any]] = []
    for kind, pattern in _ENTITY_PATTERNS:
        for m in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: m.start()]),
                    "length": utf16_len(m.group(0)),
                }
            )
    return sorted(found, key=lambda e: e["offset"])


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    chat_id: Any = None  # only for this chat, or any chat when None
    times: int = 1


def retry_after(seconds: float) -> Failure:
    return Failure(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {seconds}",
            "parameters": {"retry_after": seconds},
        },
    )


def blocked() -> Failure:
    description = "Forbidden: bot was blocked by the user"
    return Failure(403, {"ok": False, "error_code": 403, "description": description})


def migrated(new_id: int) -> Failure:
    return Failure(
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": new_id},
        },
    )


def bad_request(description: str) -> Failure:
    return Failure(400, {"ok": False, "error_code": 400, "description": description})


class BotApiServer:
    """The Bot API on 127.0.0.1: inject updates with `push_*`, read `calls` and `sent`."""

    def __init__(
        self, token: str = "123456789:TEST-token-abcdefghijklmnop", username: str = "prism_test_bot"
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.username = username
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []  # message objects the bot sent, in order
        self.members: dict[tuple[int, int], str] = {}  # (chat, user) -> status
        self.chats: dict[int, dict[str, Any]] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.webhook_url = ""
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._tick = asyncio.Event()  # replaced on every change: waiters wake and re-check
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        self._closing = True
        self._changed()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """python-telegram-bot's form: the root with /bot and no token."""
        return f"http://127.0.0.1:{self.port}/bot"

    # --- what tests inject -----------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue one update for getUpdates; assigns its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._changed()
        return update

    def message(
        self,
        chat_: dict[str, Any],
        text: str,
        from_user: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A message object as Telegram builds it, with entities."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat_,
            "text": text,
            **extra,
        }
        if from_user is not None:
            msg["from"] = from_user
        ents = entities_for(text)
        if ents:
            msg["entities"] = ents
        return msg

    def push_message(
        self, chat_: dict[str, Any], text: str, from_user: dict[str, Any] | None, **extra: Any
    ) -> dict[str, Any]:
        msg = self.message(chat_, text, from_user, **extra)
        self.push({"message": msg})
        return msg

    def push_channel_post(self, chat_: dict[str, Any], text: str) -> dict[str, Any]:
        msg = self.message(chat_, text, None, sender_chat=chat_)
        self.push({"channel_post": msg})
        return msg

    def push_callback(
        self, from_user: dict[str, Any], message: dict[str, Any], data: str
    ) -> dict[str, Any]:
        query = {
            "id": f"cq{next(self._update_ids)}",
            "from": from_user,
            "message": message,
            "chat_instance": "ci-1",
            "data": data,
        }
        self.push({"callback_query": query})
        return query

    def fail(self, method: str, failure: Failure) -> None:
        """The next `failure.times` calls of `method` (for `failure.chat_id`) fail so."""
        self.failures.setdefault(method.lower(), []).append(failure)

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Prism",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    # --- what tests read -------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["chat"]["id"] == chat_id]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until `predicate()` holds, re-checked on every call the server receives."""
        async with asyncio.timeout(within):
            while not predicate():
                await self._tick.wait()

    def _changed(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    # --- the API ---------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        self._changed()
        failure = self._scripted_failure(method, params)
        if failure is not None:
            return web.json_response(failure.body, status=failure.status)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except _ApiError as exc:
            return _error(exc.status, exc.description)
        finally:
            self._changed()
        return web.json_response({"ok": True, "result": result})

    def _scripted_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        queue = self.failures.get(method.lower(), [])
        for failure in queue:
            if failure.chat_id is None or str(failure.chat_id) == str(params.get("chat_id")):
                failure.times -= 1
                if failure.times <= 0:
                    queue.remove(failure)
                return failure
        return None

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return self.bot_user()

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while not self._updates and not self._closing:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                async with asyncio.timeout(left):
                    await self._tick.wait()
            except TimeoutError:
                break
        return self._updates[:limit]

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = ""
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = str(params.get("url", ""))
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        for command in params.get("commands") or []:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_logout(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getchatmember(self, params: dict[str, Any]) -> Any:
        key = (int(params["chat_id"]), int(params["user_id"]))
        return _member(self.members.get(key, "member"), user(key[1]))

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        plain = _validated_text(params)
        chat_id = _chat_id(params)
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chats.get(chat_id) or chat(chat_id),
            "from": self.bot_user(),
            "text": plain,
        }
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        self.sent.append(msg)
        return msg

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        plain = _validated_text(params)
        for msg in self.sent:
            if msg["message_id"] == int(params["message_id"]):
                msg["text"] = plain
                return msg
        raise _ApiError(400, "Bad Request: message to edit not found")


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


async def _params(request: web.Request) -> dict[str, Any]:
    """JSON bodies and form bodies, as Telegram accepts both."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            text = value if isinstance(value, str) else ""
            params[key] = json.loads(text) if key in _JSON_FIELDS else text
    for key in _INT_FIELDS & params.keys():
        params[key] = int(params[key])
    return params


def _chat_id(params: dict[str, Any]) -> int:
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise _ApiError(400, "Bad Request: chat_id is empty")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise _ApiError(400, "Bad Request: chat not found") from None


def _validated_text(params: dict[str, Any]) -> str:
    text = str(params.get("text") or "")
    if params.get("parse_mode") == "HTML":
        try:
            text = parse_html(text)
        except EntityError as exc:
            raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    elif params.get("parse_mode"):
        raise _ApiError(400, "Bad Request: unsupported parse_mode in this test server")
    if not text.strip():
        raise _ApiError(400, "Bad Request: message text is empty")
    if utf16_len(text.strip()) > MAX_TEXT:
        raise _ApiError(400, "Bad Request: message is too long")
    _validate_markup(params.get("reply_markup"))
    return text


def _validate_markup(markup: Any) -> None:
    if not markup:
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise _ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            url = button.get("url")
            if (data is None) == (url is None):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if url is not None and not re.match(r"(https?|tg)://", url):
                raise _ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _member(status: str, who: dict[str, Any]) -> dict[str, Any]:
    if status == "creator":
        return {"status": "creator", "user": who, "is_anonymous": False}
    if status == "administrator":
        rights = [
            "can_be_edited",
            "is_anonymous",
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        ]
        return {"status": "administrator", "user": who, **dict.fromkeys(rights, False)}
    if status == "left":
        return {"status": "left", "user": who}
    return {"status": "member", "user": who}


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApiServer]:
    """A fresh local Bot API server for one test."""
    server = BotApiServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
