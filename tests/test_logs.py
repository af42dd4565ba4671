"""Structured log lines, and secrets that never reach them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import NOISY_LOGGERS, event, setup_logging

TOKEN = "123456:SECRET-telegram-token-value"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Where the logs go; afterwards every logger is as the next test expects it."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in (*NOISY_LOGGERS, "")}
    out = io.StringIO()
    yield out
    for handler in list(root.handlers):
        if getattr(handler, "prism", False):
            root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_logfmt_line_per_event(stream: io.StringIO) -> None:
    setup_logging("INFO", "logfmt", [], stream)
    event(logging.getLogger("prism.test"), "fetch", url="https://x.example/a b", status=200)
    line = stream.getvalue().strip()
    assert "level=info logger=prism.test event=fetch" in line
    assert 'url="https://x.example/a b" status=200' in line
    assert "\n" not in line


def test_json_format(stream: io.StringIO) -> None:
    setup_logging("INFO", "json", [], stream)
    event(logging.getLogger("prism.test"), "analysis", id=7, backend="offline")
    record = json.loads(stream.getvalue())
    assert record["event"] == "analysis"
    assert record["id"] == 7
    assert record["backend"] == "offline"


def test_secrets_are_redacted_everywhere(stream: io.StringIO) -> None:
    setup_logging("DEBUG", "logfmt", [TOKEN], stream)
    logger = logging.getLogger("prism.test")
    logger.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    event(logger, "request", url=f"https://x/bot{TOKEN}/sendMessage")
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        logger.exception("boom")
    text = stream.getvalue()
    assert TOKEN not in text
    assert text.count("***") == 3


def test_library_loggers_are_quieted(stream: io.StringIO) -> None:
    setup_logging("DEBUG", "logfmt", [], stream)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot1:x/getMe")
    assert stream.getvalue() == ""


def test_events_read_whole_in_any_handler(stream: io.StringIO) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("prism.test.any")
    keep = Keep()
    logger.addHandler(keep)
    try:
        setup_logging("INFO", "logfmt", [], stream)
        event(logger, "claude_busy", logging.WARNING, status=529, type="overloaded_error")
    finally:
        logger.removeHandler(keep)
    assert records[0].getMessage() == "claude_busy status=529 type=overloaded_error"
    assert "event=claude_busy status=529 type=overloaded_error" in stream.getvalue()
