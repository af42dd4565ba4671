"""One structured line per event, with secrets redacted.

Format (`[log] format = "logfmt"`, the default):

    2026-11-25T08:00:00Z level=info logger=prism.core event=request command=analyze ...

or one JSON object per line with `format = "json"`. Code logs through `event()`:
`event(log, "fetch", url=url, status=200, ms=41)`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

_BARE = re.compile(r"^[\w.:/@%+,-]+$")

# Libraries that log request URLs (the Telegram token is part of every Bot API URL).
NOISY_LOGGERS = (
    "httpx",
    "httpcore",
    "hpack",
    "telegram",
    "telegram.ext",
    "discord",
    "discord.http",
    "discord.gateway",
    "discord.client",
    "anthropic",
    "apscheduler",
    "aiosqlite",
    "asyncio",
)


def event(
    logger: logging.Logger,
    name: str,
    level: int = logging.INFO,
    *,
    exc: bool | BaseException = False,
    **fields: Any,
) -> None:
    """Log one event with key=value fields.

    The fields stay structured on the record (the JSON format writes them as keys) and
    are also rendered into the message, so any handler shows the whole event.
    """
    if logger.isEnabledFor(level):
        text = " ".join([name, *(f"{k}={_quote(v)}" for k, v in fields.items())])
        extra = {"prism_event": name, "prism_fields": fields}
        logger.log(level, "%s", text, exc_info=exc, extra=extra, stacklevel=2)


# The password of a URL's user info (postgresql://user:PASSWORD@host/db) or query
# (postgresql://host/db?password=PASSWORD).
_URL_PASSWORD = re.compile(
    r"(\b[a-z][a-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+(@)|([?&]password=)[^&#\s]+", re.IGNORECASE
)


class RedactFilter(logging.Filter):
    """Replaces every configured secret, and any password in a URL, with ***."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by a marker."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _URL_PASSWORD.sub(lambda m: f"{m[1] or m[3]}***{m[2] or ''}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact secrets in the record's message and arguments; never drop it."""
        if self.secrets or _URL_PASSWORD.search(record.getMessage()):
            record.msg = self.redact(record.getMessage())
            record.args = None
            fields = getattr(record, "prism_fields", None)
            if fields:
                record.prism_fields = {k: self.redact(str(v)) for k, v in fields.items()}
            if record.exc_info:
                record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


class LogfmtFormatter(logging.Formatter):
    """`key=value` lines for people and grep."""

    def format(self, record: logging.LogRecord) -> str:
        """One record as one logfmt line."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        parts = [stamp, f"level={record.levelname.lower()}", f"logger={record.name}"]
        fields = getattr(record, "prism_fields", None)
        if fields is not None:
            parts.append(f"event={getattr(record, 'prism_event', '')}")
            parts.extend(f"{k}={_quote(v)}" for k, v in fields.items())
        else:
            parts.append(f"msg={_quote(record.getMessage())}")
        text = " ".join(parts)
        if record.exc_info:
            text += " exc=" + _quote(self.formatException(record.exc_info))
        elif record.exc_text:
            text += " exc=" + _quote(record.exc_text)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        """One record as one JSON line."""
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "prism_fields", None)
        if fields is not None:
            out["event"] = getattr(record, "prism_event", "")
            out.update(
                {k: v if isinstance(v, int | float | bool) else str(v) for k, v in fields.items()}
            )
        else:
            out["msg"] = record.getMessage()
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)


def _quote(value: Any) -> str:
    text = str(value)
    if text and _BARE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def setup_logging(level: str, fmt: str, secrets: Iterable[str], stream: Any = None) -> None:
    """Route every log record through one redacting handler on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    handler.addFilter(RedactFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "prism", False):
            root.removeHandler(old)
    handler.prism = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
