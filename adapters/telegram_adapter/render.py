"""Core replies as Telegram HTML messages: escaped, split under 4096, buttons last.

Pure functions over the reply model. Text is held as styled runs until the very end,
so a split can fall between any two runs (or inside one, at a sentence or a word)
and every part still opens and closes its own tags: a part never ends inside a tag
or an entity.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.models import Action, Block, Item, Link, Paragraph, Reply

LIMIT = 4096  # Telegram's message length after entity parsing, in UTF-16 code units
_SEP = "\n\n"
_SENTENCE = re.compile(r"(.+?(?:[.!?…]+[\"'”’)\]]*(?:\s+|$)|[。！？]+\s*|$))", re.S)
_WORD = re.compile(r"(\S+\s*|\s+)")


@dataclass(frozen=True, slots=True)
class Run:
    """Plain text and the tags around it, outermost first (`b`, `i`, `a href="…"`)."""

    text: str
    tags: tuple[str, ...] = ()


Para = tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class Part:
    """One Telegram message: HTML text and, on the last part only, the keyboard."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None


def deep_link(bot_username: str, analysis_id: int) -> str:
    """The link that opens an analysis in a private chat with the bot (`/start a_<id>`)."""
    return f"https://t.me/{bot_username}?start=a_{analysis_id}"


def render(reply: Reply, bot_username: str = "", limit: int = LIMIT) -> list[Part]:
    """The messages that show `reply`, in order; the keyboard rides on the last one."""
    paras = paragraphs(reply, bot_username)
    parts = [to_html(p) for p in pack(paras, limit)]
    keyboard = keyboard_for(reply.actions, bot_username)
    if not parts:
        parts = ["…"]
    return [Part(text, keyboard if i == len(parts) - 1 else None) for i, text in enumerate(parts)]


def paragraphs(reply: Reply, bot_username: str = "") -> list[Para]:
    """The reply as paragraphs of styled runs: title, meta, blocks, footer."""
    if reply.kind == "error":
        return [(Run(reply.plain_text()),)]
    out: list[Para] = []
    if reply.title:
        out.append((Run(reply.title, ("b",)),))
    if reply.meta:
        out.append((Run(reply.meta, ("i",)),))
    for block in reply.blocks:
        out.extend(_block(block, bot_username))
    if reply.footer:
        out.append((Run(reply.footer, ("i",)),))
    return [_trim(_strip_start(p)) for p in out if any(r.text.strip() for r in p)]


def _block(block: Block, bot_username: str) -> list[Para]:
    if isinstance(block, Paragraph):
        return [(Run(block.text),)]
    if isinstance(block, Link):
        return [(_link(block.label, block.url),)]
    if isinstance(block, Item):
        return [_item(block, bot_username)]
    inner = [p for b in block.blocks for p in _block(b, bot_username)]
    heading = (Run(block.heading, ("b",)),)
    if not inner:
        return [heading]
    # The heading travels with its first paragraph so a part never ends on a bare heading.
    return [(*heading, Run("\n"), *inner[0]), *inner[1:]]


def _link(label: str, url: str) -> Run:
    if not _is_web_url(url):
        return Run(f"{label}: {url}" if label else url)
    return Run(label or url, (f'a href="{html.escape(url, quote=True)}"',))


def _item(item: Item, bot_username: str) -> Para:
    runs = [Run("• "), Run(item.title, ("b",))]
    if item.text:
        runs.append(Run(f"\n{item.text}"))
    tail: list[Run] = []
    if item.meta:
        tail.append(Run(item.meta, ("i",)))
    if item.url:
        tail.append(_link("Source", item.url))
    if item.page_url and _is_web_url(item.page_url):
        tail.append(_link("Read on the web", item.page_url))
    if item.analysis_id is not None and bot_username:
        tail.append(_link("Open", deep_link(bot_username, item.analysis_id)))
    for i, run in enumerate(tail):
        runs.append(Run("\n" if i == 0 else " · "))
        runs.append(run)
    return tuple(runs)


def keyboard_for(
    actions: tuple[Action, ...], bot_username: str = ""
) -> InlineKeyboardMarkup | None:
    """Related and open call back into the bot; source opens the article."""
    buttons: list[InlineKeyboardButton] = []
    for action in actions:
        if action.kind == "related" and action.analysis_id is not None:
            buttons.append(
                InlineKeyboardButton(action.label, callback_data=f"related:{action.analysis_id}")
            )
        elif action.kind == "open" and action.analysis_id is not None:
            buttons.append(
                InlineKeyboardButton(action.label, callback_data=f"show:{action.analysis_id}")
            )
        elif action.kind in ("source", "web") and action.url and _is_web_url(action.url):
            buttons.append(InlineKeyboardButton(action.label, url=action.url))
        elif action.kind in ("useful", "inaccurate") and action.analysis_id is not None:
            data = f"{action.kind}:{action.analysis_id}"
            buttons.append(InlineKeyboardButton(action.label, callback_data=data))
    return InlineKeyboardMarkup([buttons]) if buttons else None


def _is_web_url(url: str) -> bool:
    return url.startswith(("http://", "https://"))


# --- measuring, splitting and writing HTML ------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def para_len(para: Para) -> int:
    """A paragraph's length in UTF-16 code units."""
    return sum(utf16_len(r.text) for r in para)


def pack(paras: list[Para], limit: int = LIMIT) -> list[list[Para]]:
    """Greedy packing at paragraph boundaries; an oversized paragraph is cut inside."""
    parts: list[list[Para]] = []
    current: list[Para] = []
    size = 0
    for para in paras:
        rest: Para | None = para
        while rest:
            sep = len(_SEP) if current else 0
            room = limit - size - sep
            if para_len(rest) <= room:
                current.append(rest)
                size += sep + para_len(rest)
                break
            head: Para = ()
            if para_len(rest) > limit and room > 0:
                # Too long for any part: fill this one with whole sentences (a fresh
                # part may cut at words, or characters for one enormous word).
                head, rest = cut(rest, room, fine=not current)
            if head:
                current.append(head)
            if current:
                parts.append(current)
            current, size = [], 0
    if current:
        parts.append(current)
    return parts


def cut(para: Para, room: int, fine: bool = True) -> tuple[Para, Para]:
    """The longest head of `para` that fits `room`, ending at a sentence if possible;
    with `fine`, at a word or (for one enormous word) a character when it must."""
    patterns = (_SENTENCE, _WORD, None) if fine else (_SENTENCE,)
    for pattern in patterns:
        pieces = _pieces(para, pattern)
        head: list[Run] = []
        used = 0
        for i, run in enumerate(pieces):
            n = utf16_len(run.text)
            if used + n > room:
                if head:
                    return _trim(tuple(head)), _strip_start(tuple(pieces[i:]))
                break
            head.append(run)
            used += n
        else:
            return _trim(tuple(head)), ()
    return (), para


def _pieces(para: Para, pattern: re.Pattern[str] | None) -> list[Run]:
    out: list[Run] = []
    for run in para:
        texts = list(run.text) if pattern is None else [m for m in pattern.findall(run.text) if m]
        out.extend(Run(t, run.tags) for t in texts)
    return out


def _trim(para: Para) -> Para:
    """Drop trailing whitespace: Telegram trims it anyway and it costs length."""
    runs = list(para)
    while runs and not runs[-1].text.rstrip():
        runs.pop()
    if runs:
        runs[-1] = Run(runs[-1].text.rstrip(), runs[-1].tags)
    return tuple(runs)


def _strip_start(para: Para) -> Para:
    runs = list(para)
    while runs and not runs[0].text.lstrip():
        runs.pop(0)
    if runs:
        runs[0] = Run(runs[0].text.lstrip(), runs[0].tags)
    return tuple(runs)


def to_html(paras: list[Para]) -> str:
    """Paragraphs to Telegram HTML; neighbouring runs with the same tags are merged."""
    return _SEP.join("".join(_runs_html(p)) for p in paras)


def _runs_html(para: Para) -> Iterator[str]:
    merged: list[Run] = []
    for run in para:
        if merged and merged[-1].tags == run.tags:
            merged[-1] = Run(merged[-1].text + run.text, run.tags)
        else:
            merged.append(run)
    for run in merged:
        opens = "".join(f"<{t}>" for t in run.tags)
        closes = "".join(f"</{t.split(' ', 1)[0]}>" for t in reversed(run.tags))
        yield f"{opens}{html.escape(run.text, quote=False)}{closes}"


def plain(html_text: str) -> str:
    """Visible text of our own HTML: the fallback when Telegram refuses the entities."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))
