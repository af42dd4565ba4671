"""Text that is not Latin on every surface: Japanese (no spaces, read by characters)
and Arabic / Hebrew (right to left) stay intact through Telegram HTML, Discord embeds,
the console and the web page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from adapters.console.render import render as console_render
from adapters.discord_adapter.render import render as discord_render
from adapters.discord_adapter.render import split_text
from adapters.telegram_adapter.render import LIMIT, utf16_len
from adapters.telegram_adapter.render import render as telegram_render
from bot.models import Analysis, Generator, Section, Source
from bot.replies import analysis_reply
from bot.text import reading_minutes
from tests.support.discord_server import FormErrors, validate_message
from tests.support.telegram_server import parse_html

JAPANESE = "市議会は新しいバスの計画を承認し、住民はその実施を待っています。"
ARABIC = "وافق مجلس المدينة على خطة الحافلات الجديدة، وينتظر السكان تنفيذها في أحيائهم."
HEBREW = "מועצת העיר אישרה את התוכנית לאוטובוסים החדשים <ו> התושבים מחכים & מקווים."


def analysis(language: str, sentence: str, repeat: int = 3, sections: int = 3) -> Analysis:
    paragraph = sentence * repeat if language == "ja" else " ".join([sentence] * repeat)
    body = tuple(Section(f"{sentence[:12]} {i}", (paragraph, paragraph)) for i in range(sections))
    return Analysis(
        id=7,
        article_id=3,
        url="https://news.example/a",
        canonical_url="https://news.example/a",
        headline=sentence[:40],
        dek=sentence + (" ؟" if language == "ar" else "？" if language == "ja" else "?"),
        category="Economy",
        sections=body,
        tags=(),
        language=language,
        key_question="?",
        reading_minutes=reading_minutes(paragraph * 2 * sections),
        source=Source("https://news.example/a", "News", "Council approves buses", None),
        generator=Generator("claude", "m", "claude-translate-v1"),
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
    )


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- reading time ---------------------------------------------------------------------


def test_japanese_reading_time_counts_characters_not_words() -> None:
    text = JAPANESE * 30  # 900 CJK characters (and 60 marks), no spaces at all
    assert len(text.split()) == 1
    assert reading_minutes(text) == 2  # 500 characters a minute, not one "word"
    assert reading_minutes("word " * 1150) == 5  # 230 words a minute


# --- Telegram ---------------------------------------------------------------------------


def test_telegram_keeps_rtl_text_and_escapes_around_it() -> None:
    (part,) = telegram_render(analysis_reply(analysis("he", HEBREW, repeat=1, sections=1)))
    assert "&lt;ו&gt;" in part.html and "&amp;" in part.html
    visible = parse_html(part.html)  # Telegram would accept it
    assert HEBREW in visible


def test_telegram_splits_long_japanese_within_the_limit_and_loses_nothing() -> None:
    reply = analysis_reply(analysis("ja", JAPANESE, repeat=60, sections=4))
    parts = telegram_render(reply)
    assert len(parts) > 1
    assert all(utf16_len(parse_html(p.html)) <= LIMIT for p in parts)
    shown = squash("".join(parse_html(p.html) for p in parts))
    for section in analysis("ja", JAPANESE, repeat=60, sections=4).sections:
        assert squash(section.paragraphs[0]) in shown


def test_telegram_keeps_arabic_intact() -> None:
    (part,) = telegram_render(analysis_reply(analysis("ar", ARABIC, repeat=2, sections=1)))
    assert ARABIC in parse_html(part.html)


# --- Discord ----------------------------------------------------------------------------


def valid(payload_embeds: list[Any]) -> None:
    errors = FormErrors()
    validate_message({"embeds": payload_embeds}, errors)
    assert errors.tree == {}, errors.tree


def test_discord_embeds_keep_arabic_and_hebrew() -> None:
    for language, sentence in (("ar", ARABIC), ("he", HEBREW)):
        (message,) = discord_render(analysis_reply(analysis(language, sentence, 1, 1)))
        valid([e.to_dict() for e in message.embeds])
        (embed,) = message.embeds
        assert embed.title == sentence[:40]
        text = " ".join(f.value for f in embed.fields if f.value)
        assert sentence.split(" ")[0] in text


def test_discord_splits_japanese_at_sentence_ends_without_adding_spaces() -> None:
    long = JAPANESE * 80  # about 2,500 characters, no spaces
    chunks = split_text(long, 1024)
    assert all(len(c) <= 1024 for c in chunks)
    assert "".join(chunks) == long  # joined back, nothing added or lost
    assert all(c.endswith("。") for c in chunks)


def test_discord_long_japanese_analysis_fits_discord() -> None:
    reply = analysis_reply(analysis("ja", JAPANESE, repeat=60, sections=4))
    messages = discord_render(reply)
    for message in messages:
        valid([e.to_dict() for e in message.embeds])
    shown = squash(" ".join(f.value or "" for m in messages for e in m.embeds for f in e.fields))
    assert squash(JAPANESE * 10) in shown


# --- console ----------------------------------------------------------------------------


def test_console_prints_rtl_and_cjk_as_they_are() -> None:
    console = Console(record=True, width=100, color_system=None)
    console.print(console_render(analysis_reply(analysis("he", HEBREW, 1, 1))))
    console.print(console_render(analysis_reply(analysis("ja", JAPANESE, 1, 1))))
    out = console.export_text()
    assert HEBREW.split(" ")[0] in out and "<ו>" in out
    assert JAPANESE[:20] in squash(out)
