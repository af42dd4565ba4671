"""A local Messages API server (aiohttp on 127.0.0.1, port 0) for the real Anthropic SDK.

Built from Anthropic's published API reference, not from our client: it checks what the
API checks (the key, from `x-api-key` or, as the installed SDK 2.x sends it,
`Authorization: Bearer`; the `anthropic-version` header; `model`, `max_tokens`,
`messages`, `system`, `cache_control` markers, the structured-output format and its
supported JSON-schema subset, unknown fields) and answers in the API's shapes: a
`message` object with content blocks, `stop_reason` and `usage` (with
`cache_creation_input_tokens` / `cache_read_input_tokens`), error bodies
`{"type": "error", "error": {"type": ..., "message": ...}, "request_id": ...}` with the
matching HTTP status, a `request-id` header on every answer, and a small
`retry-after-ms` on 429/529 so SDK retries are quick in tests.

Each test scripts it: `server.script` is a queue of behaviours (`reply`, `error`,
`hang`) used in order; when it is empty `server.responder(body)` decides. The server
counts requests and concurrent in-flight calls, simulates prompt caching (a prefix up
to the last `cache_control` marker is written to the cache on first sight and read
after, if it reaches the model's minimum cacheable length) and runs the Message
Batches endpoints (create, retrieve, results as JSONL, in a shuffled order).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

API_KEY = "sk-ant-test-0123456789"
# API versions the server accepts: the documented one and the one the installed SDK sends.
KNOWN_VERSIONS = {"2023-01-01", "2023-06-01", "2026-10-21"}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
MESSAGE_FIELDS = {
    "model",
    "max_tokens",
    "messages",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "cache_control",
    "service_tier",
    "container",
    "inference_geo",
}
# JSON-schema keywords that structured outputs do not support (the API answers 400).
UNSUPPORTED_SCHEMA_KEYWORDS = {
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
}
MIN_CACHEABLE = {"claude-opus-4-5": 4096, "claude-haiku-4-5": 4096, "claude-sonnet-4-6": 2048}
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class ApiError(Exception):
    """An error answer: status, error type and message, as the API sends them."""

    def __init__(self, status: int, message: str, type_: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_ or ERROR_TYPES.get(status, "api_error")
        self.message = message


# --- behaviours -----------------------------------------------------------------------------


@dataclass
class Behaviour:
    kind: str  # "reply" | "error" | "hang"
    text: str = ""
    stop_reason: str = "end_turn"
    status: int = 200
    error_type: str | None = None
    message: str = ""
    retry_after_ms: int | None = None
    retry_after: str | None = None
    delay: float = 0.0


def reply(answer: Any, *, stop_reason: str = "end_turn", delay: float = 0.0) -> Behaviour:
    """Answer with a text block: `answer` as is if a string, else as JSON."""
    text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    return Behaviour("reply", text=text, stop_reason=stop_reason, delay=delay)


def error(
    status: int,
    message: str = "",
    *,
    type_: str | None = None,
    retry_after_ms: int | None = 10,
    retry_after: str | None = None,
) -> Behaviour:
    """Answer with an API error body and status."""
    return Behaviour(
        "error",
        status=status,
        error_type=type_ or ERROR_TYPES.get(status, "api_error"),
        message=message or _default_message(status),
        retry_after_ms=retry_after_ms if status == 429 or status >= 500 else None,
        retry_after=retry_after,
    )


def hang(seconds: float) -> Behaviour:
    """Hold the request open (longer than the client's timeout), then answer normally."""
    return Behaviour("hang", delay=seconds)


def _default_message(status: int) -> str:
    return {
        400: "Invalid request",
        401: "invalid x-api-key",
        403: "Your API key does not have permission to use the specified resource.",
        429: "Number of request tokens has exceeded your per-minute rate limit",
        500: "Internal server error",
        529: "Overloaded",
    }.get(status, "Error")


# --- reading requests (for responders and assertions) -----------------------------------------


def user_text(body: dict[str, Any]) -> str:
    """All text of the user turns of a request body."""
    parts: list[str] = []
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        else:
            parts += [b.get("text", "") for b in content if b.get("type") == "text"]
    return "\n".join(parts)


def article_of(body: dict[str, Any]) -> dict[str, str]:
    """The article block of a request: metadata elements and the text, as sent."""
    text = user_text(body)
    match = re.search(r"<article>\n(.*?)\n</article>", text, re.S)
    if not match:
        return {}
    block = match.group(1)
    fields = dict(re.findall(r"^<(url|site|title|published|language)>(.*?)</\1>$", block, re.M))
    body_match = re.search(r"<text>\n(.*)\n</text>", block, re.S)
    fields["text"] = body_match.group(1) if body_match else ""
    return fields


_QUOTE_CHARS = set('"\u201c\u201d\u00ab\u00bb\u201e')


def echo_analysis(body: dict[str, Any]) -> dict[str, Any]:
    """A valid, grounded analysis of the request's article, made of its own sentences.

    Stands in for the model in end-to-end tests and benches: every claim is copied from
    the article, so validation and the grounding check pass without a repair.
    """
    article = article_of(body)
    flat = re.sub(r"\s+", " ", article.get("text", "")).replace("[…]", " ")
    sentences = [
        s
        for s in re.split(r"(?<=[.!?])\s+", flat)
        if 30 <= len(s) <= 400 and not _QUOTE_CHARS & set(s) and "\u2039" not in s
    ] or ["The article reports a development."]
    pick = [sentences[i % len(sentences)] for i in range(7)]
    schema = body["output_config"]["format"]["schema"]
    language = article.get("language", "unknown")
    return {
        "headline": (article.get("title") or "A news report")[:110],
        "dek": f"{pick[0]} What does it change?",
        "category": schema["properties"]["category"]["enum"][0],
        "sections": [
            {"heading": "What happened", "paragraphs": [" ".join(pick[1:3])]},
            {"heading": "Background", "paragraphs": [" ".join(pick[3:5])]},
            {"heading": "What it means for readers", "paragraphs": [" ".join(pick[5:7])]},
        ],
        "tags": [],
        "language": language if language != "unknown" else "en",
        "key_question": "What does it change?",
    }


def echo(body: dict[str, Any]) -> Behaviour:
    """A responder answering every request with `echo_analysis`."""
    return reply(echo_analysis(body))


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def estimate_tokens(text: str) -> int:
    """The server's own token estimate: about four characters a token, CJK one each."""
    cjk = len(_CJK.findall(text))
    return max(1, cjk + (len(text) - cjk + 3) // 4)


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# --- the server ------------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _Batch:
    id: str
    requests: list[dict[str, Any]]
    created_at: datetime
    polls: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)
    ended_at: datetime | None = None


class AnthropicServer:
    """The scripted Messages API; see the module docstring."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.script: deque[Behaviour] = deque()
        self.responder: Callable[[dict[str, Any]], Behaviour] | None = None
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.batch_polls_before_end = 1
        self.expire_batches = False  # every item of the next batches ends "expired"
        self._cache: set[str] = set()
        self._batches: dict[str, _Batch] = {}
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # lifecycle

    async def start(self) -> AnthropicServer:
        app = web.Application()
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_post("/v1/messages/batches", self._create_batch)
        app.router.add_get("/v1/messages/batches/{id}", self._retrieve_batch)
        app.router.add_get("/v1/messages/batches/{id}/results", self._batch_results)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # what tests look at

    @property
    def message_bodies(self) -> list[dict[str, Any]]:
        """Bodies of every POST /v1/messages, in arrival order."""
        return [r.body for r in self.requests if r.path == "/v1/messages"]

    def count(self, path: str = "/v1/messages", method: str = "POST") -> int:
        return sum(1 for r in self.requests if r.path == path and r.method == method)

    # handlers

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            body = await self._admit(request)
            validate_message_params(body)
            behaviour = self._next(body)
            if behaviour.kind == "hang":
                await self._sleep(behaviour.delay)
                behaviour = self._next(body)
            elif behaviour.delay:
                await self._sleep(behaviour.delay)
            if behaviour.kind == "error":
                return _error_response(behaviour)
            return _json(self._message(body, behaviour))
        except ApiError as exc:
            return _error_response(error(exc.status, exc.message, type_=exc.type))
        finally:
            self.in_flight -= 1

    async def _create_batch(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._admit(request)
            batch = self._new_batch(body)
            return _json(self._batch_object(batch))
        except ApiError as exc:
            return _error_response(error(exc.status, exc.message, type_=exc.type))

    async def _retrieve_batch(self, request: web.Request) -> web.StreamResponse:
        try:
            await self._admit(request)
            batch = self._batch(request.match_info["id"])
            batch.polls += 1
            if batch.ended_at is None and batch.polls >= self.batch_polls_before_end:
                self._process(batch)
            return _json(self._batch_object(batch))
        except ApiError as exc:
            return _error_response(error(exc.status, exc.message, type_=exc.type))

    async def _batch_results(self, request: web.Request) -> web.StreamResponse:
        try:
            await self._admit(request)
            batch = self._batch(request.match_info["id"])
            if batch.ended_at is None:
                raise ApiError(400, f"Batch {batch.id} has not finished processing.")
            lines = [json.dumps(r) for r in reversed(batch.results)]  # order is not promised
            response = web.Response(
                body=("\n".join(lines) + "\n").encode(), content_type="application/x-jsonl"
            )
            response.headers["request-id"] = _request_id()
            return response
        except ApiError as exc:
            return _error_response(error(exc.status, exc.message, type_=exc.type))

    # helpers

    async def _admit(self, request: web.Request) -> Any:
        """Record the request and check what the API checks before anything else."""
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
        key = _credential(request)
        if not key:
            raise ApiError(401, "x-api-key header is required")
        if key != self.api_key:
            raise ApiError(401, "invalid x-api-key")
        version = request.headers.get("anthropic-version")
        if not version:
            raise ApiError(400, "anthropic-version: header is required")
        if version not in KNOWN_VERSIONS:
            raise ApiError(400, f"anthropic-version: unknown version {version!r}")
        if request.method == "POST" and not isinstance(body, dict):
            raise ApiError(400, "The request body is not valid JSON.")
        return body

    def _next(self, body: dict[str, Any]) -> Behaviour:
        if self.script:
            return self.script.popleft()
        if self.responder is not None:
            return self.responder(body)
        raise ApiError(500, "the test server has no scripted answer left", "api_error")

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)

    def _message(self, body: dict[str, Any], behaviour: Behaviour) -> dict[str, Any]:
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": behaviour.text}],
            "stop_reason": behaviour.stop_reason,
            "stop_sequence": None,
            "usage": {**self._usage(body), "output_tokens": estimate_tokens(behaviour.text)},
        }

    def _usage(self, body: dict[str, Any]) -> dict[str, Any]:
        """Input tokens, with the cached prefix written on first sight and read after."""
        blocks = _prompt_blocks(body)
        total = sum(estimate_tokens(_dump(b)) for b, _ in blocks)
        schema = (body.get("output_config") or {}).get("format")
        total += estimate_tokens(_dump(schema)) if schema else 0
        marks = [i for i, (_, marked) in enumerate(blocks) if marked]
        write = read = 0
        if marks:
            prefix = [b for b, _ in blocks[: marks[-1] + 1]]
            size = sum(estimate_tokens(_dump(b)) for b in prefix)
            if size >= _min_cacheable(body["model"]):
                key = hashlib.sha256(
                    json.dumps([body["model"], prefix], sort_keys=True).encode()
                ).hexdigest()
                if key in self._cache:
                    read = size
                else:
                    self._cache.add(key)
                    write = size
        return {
            "input_tokens": total - write - read,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }

    def _new_batch(self, body: dict[str, Any]) -> _Batch:
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise ApiError(400, "requests: must be a non-empty list")
        seen: set[str] = set()
        for n, item in enumerate(requests):
            custom_id = item.get("custom_id") if isinstance(item, dict) else None
            if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
                raise ApiError(400, f"requests.{n}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$")
            if custom_id in seen:
                raise ApiError(400, f"requests.{n}.custom_id: duplicate custom_id {custom_id!r}")
            seen.add(custom_id)
            params = item.get("params")
            if not isinstance(params, dict):
                raise ApiError(400, f"requests.{n}.params: Field required")
            if params.get("stream"):
                raise ApiError(400, f"requests.{n}.params.stream: not supported in batches")
            try:
                validate_message_params(params)
            except ApiError as exc:
                raise ApiError(400, f"requests.{n}.params.{exc.message}") from None
        batch = _Batch(f"msgbatch_{uuid.uuid4().hex[:24]}", requests, datetime.now(UTC))
        self._batches[batch.id] = batch
        return batch

    def _batch(self, batch_id: str) -> _Batch:
        if batch_id not in self._batches:
            raise ApiError(404, f"Batch {batch_id} not found")
        return self._batches[batch_id]

    def _process(self, batch: _Batch) -> None:
        if self.expire_batches:  # the 24 hours ran out before any item was processed
            batch.results = [
                {"custom_id": item["custom_id"], "result": {"type": "expired"}}
                for item in batch.requests
            ]
            batch.ended_at = datetime.now(UTC)
            return
        for item in batch.requests:
            params = item["params"]
            try:
                behaviour = self._next(params)
                if behaviour.kind == "hang":  # nothing to hold open in a batch
                    behaviour = self._next(params)
            except ApiError as exc:
                behaviour = error(exc.status, exc.message, type_=exc.type)
            if behaviour.kind == "error":
                result: dict[str, Any] = {
                    "type": "errored",
                    "error": {
                        "type": "error",
                        "error": {"type": behaviour.error_type, "message": behaviour.message},
                        "request_id": _request_id(),
                    },
                }
            else:
                result = {"type": "succeeded", "message": self._message(params, behaviour)}
            batch.results.append({"custom_id": item["custom_id"], "result": result})
        batch.ended_at = datetime.now(UTC)

    def _batch_object(self, batch: _Batch) -> dict[str, Any]:
        ended = batch.ended_at is not None
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for r in batch.results:
                counts[r["result"]["type"]] += 1
        else:
            counts["processing"] = len(batch.requests)
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": _iso(batch.created_at),
            "expires_at": _iso(batch.created_at + timedelta(hours=24)),
            "ended_at": _iso(batch.ended_at) if batch.ended_at else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": (
                f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None
            ),
        }


# --- request validation, as the API reference describes it ------------------------------------


def validate_message_params(body: dict[str, Any]) -> None:
    """Raise ApiError(400) for what the Messages API would refuse."""
    extra = sorted(set(body) - MESSAGE_FIELDS)
    if extra:
        raise ApiError(400, f"{extra[0]}: Extra inputs are not permitted")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ApiError(400, "model: Field required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise ApiError(400, "max_tokens: Field required (an integer of at least 1)")
    if body.get("stream"):
        raise ApiError(400, "stream: this test server answers without streaming")
    _check_messages(body.get("messages"))
    _check_system(body.get("system"))
    _check_tools(body.get("tools"), body.get("tool_choice"))
    _check_output_config(body.get("output_config"))
    marks = sum(1 for _, marked in _prompt_blocks(body) if marked)
    if marks > 4:
        raise ApiError(
            400, f"A maximum of 4 blocks with cache_control may be provided. Found {marks}."
        )


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages: at least one message is required")
    for n, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise ApiError(400, f"messages.{n}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        if isinstance(content, str):
            if not content and n < len(messages) - 1:
                raise ApiError(400, f"messages.{n}: content must be non-empty")
            continue
        if not isinstance(content, list) or not content:
            raise ApiError(400, f"messages.{n}.content: must be a string or a list of blocks")
        for i, block in enumerate(content):
            _check_block(block, f"messages.{n}.content.{i}")


def _check_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise ApiError(400, "system: must be a string or a list of text blocks")
    for i, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise ApiError(400, f"system.{i}.type: Input should be 'text'")
        _check_block(block, f"system.{i}")


def _check_block(block: Any, where: str) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise ApiError(400, f"{where}: each content block needs a type")
    if block["type"] == "text" and not isinstance(block.get("text"), str):
        raise ApiError(400, f"{where}.text: Field required")
    marker = block.get("cache_control")
    if marker is not None:
        if not isinstance(marker, dict) or marker.get("type") != "ephemeral":
            raise ApiError(400, f"{where}.cache_control.type: Input should be 'ephemeral'")
        if marker.get("ttl", "5m") not in ("5m", "1h"):
            raise ApiError(400, f"{where}.cache_control.ttl: Input should be '5m' or '1h'")


def _check_tools(tools: Any, tool_choice: Any) -> None:
    names = set()
    for i, tool in enumerate(tools or []):
        if not isinstance(tool, dict) or not tool.get("name"):
            raise ApiError(400, f"tools.{i}.name: Field required")
        if "input_schema" in tool and not isinstance(tool["input_schema"], dict):
            raise ApiError(400, f"tools.{i}.input_schema: must be an object")
        names.add(tool["name"])
    forced = isinstance(tool_choice, dict) and tool_choice.get("type") == "tool"
    if forced and tool_choice.get("name") not in names:
        raise ApiError(400, "tool_choice.name: no tool with that name was provided")


def _check_output_config(config: Any) -> None:
    if config is None:
        return
    if not isinstance(config, dict) or set(config) - {"format", "effort"}:
        raise ApiError(400, "output_config: Extra inputs are not permitted")
    fmt = config.get("format")
    if fmt is None:
        return
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise ApiError(400, "output_config.format.type: Input should be 'json_schema'")
    if not isinstance(fmt.get("schema"), dict):
        raise ApiError(400, "output_config.format.schema: Field required")
    _check_schema(fmt["schema"], "output_config.format.schema")


def _check_schema(schema: dict[str, Any], where: str) -> None:
    """The structured-output subset: objects closed, no length or range limits."""
    bad = sorted(UNSUPPORTED_SCHEMA_KEYWORDS & set(schema))
    if bad:
        raise ApiError(400, f"{where}: '{bad[0]}' is not supported for structured outputs")
    if schema.get("minItems", 0) not in (0, 1):
        raise ApiError(400, f"{where}.minItems: only 0 or 1 are supported")
    if schema.get("type") == "object":
        if schema.get("additionalProperties", True) is not False:
            raise ApiError(400, f"{where}: objects must set additionalProperties to false")
        for name, sub in (schema.get("properties") or {}).items():
            _check_schema(sub, f"{where}.properties.{name}")
    if isinstance(schema.get("items"), dict):
        _check_schema(schema["items"], f"{where}.items")
    enum = schema.get("enum")
    if enum is not None and any(isinstance(v, dict | list) for v in enum):
        raise ApiError(400, f"{where}.enum: only primitive values are supported")


def _prompt_blocks(body: dict[str, Any]) -> list[tuple[Any, bool]]:
    """The prompt in cache order (tools, system, messages), each with its cache marker."""
    out: list[tuple[Any, bool]] = []
    for tool in body.get("tools") or []:
        out.append((tool, "cache_control" in tool))
    system = body.get("system")
    if isinstance(system, str):
        out.append(({"type": "text", "text": system}, False))
    elif isinstance(system, list):
        out += [(b, isinstance(b, dict) and "cache_control" in b) for b in system]
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            out.append(({"type": "text", "text": content}, False))
        elif isinstance(content, list):
            out += [(b, isinstance(b, dict) and "cache_control" in b) for b in content]
    return out


def _credential(request: web.Request) -> str:
    """The API key from `x-api-key`, or from `Authorization: Bearer` (what SDK 2.x sends)."""
    key = request.headers.get("x-api-key", "")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return key or (token.strip() if scheme.lower() == "bearer" else "")


def _min_cacheable(model: str) -> int:
    return next((n for prefix, n in MIN_CACHEABLE.items() if model.startswith(prefix)), 1024)


def _error_response(behaviour: Behaviour) -> web.Response:
    request_id = _request_id()
    body = {
        "type": "error",
        "error": {"type": behaviour.error_type, "message": behaviour.message},
        "request_id": request_id,
    }
    response = web.json_response(body, status=behaviour.status)
    response.headers["request-id"] = request_id
    if behaviour.retry_after_ms is not None:
        response.headers["retry-after-ms"] = str(behaviour.retry_after_ms)
    if behaviour.retry_after is not None:
        response.headers["retry-after"] = behaviour.retry_after
    return response


def _json(body: dict[str, Any]) -> web.Response:
    response = web.json_response(body)
    response.headers["request-id"] = _request_id()
    return response


def _request_id() -> str:
    return f"req_{uuid.uuid4().hex[:24]}"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- fixtures ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serve() -> AsyncIterator[AnthropicServer]:
    """A started server, closed on exit (for benches and module-level fixtures)."""
    server = await AnthropicServer().start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def anthropic_server() -> AsyncIterator[AnthropicServer]:
    """A started server; closed after the test."""
    async with serve() as server:
        yield server
