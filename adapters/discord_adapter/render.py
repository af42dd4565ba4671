"""Replies as Discord messages: embeds within Discord's limits, plus button specs.

Pure functions over the neutral Reply model (no client, no event loop), so every
limit is tested directly: title 256, description 4096, 25 fields of name 256 and
value 1024, footer 2048, 6,000 characters and 10 embeds per message, 25 buttons.
Long replies become several messages. All article and model text is escaped for
Discord markdown and mentions before it is placed.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.models import Action, Group, Item, Link, Paragraph, Reply

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
MESSAGE_TOTAL_MAX = 6000
EMBEDS_MAX = 10
BUTTONS_MAX = 25
BUTTONS_PER_ROW = 5
LABEL_MAX = 80
CUSTOM_ID_MAX = 100
URL_MAX = 512
BLANK = "\u200b"  # a field name that shows nothing: Discord requires a non-empty name

RELATED_ID = "prism:related:{id}"
OPEN_ID = "prism:open:{id}"
THOUGHT_ID = "prism:{kind}:{id}"  # kind: useful | inaccurate

ERROR_COLOUR = 0xE74C3C
INFO_COLOUR = 0x5865F2
PALETTE = (
    0x1ABC9C,
    0x3498DB,
    0x2ECC71,
    0xE67E22,
    0x9B59B6,
    0xF1C40F,
    0xE91E63,
    0x16A085,
    0x34495E,
    0xD35400,
    0x7F8C8D,
    0x27AE60,
)


@dataclass(frozen=True, slots=True)
class Button:
    """A button to attach: `custom_id` calls back into the bot, `url` opens a page."""

    label: str
    custom_id: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One Discord message: embeds (each within the limits) and its buttons."""

    embeds: tuple[discord.Embed, ...]
    buttons: tuple[Button, ...] = ()
    ephemeral: bool = False

    def size(self) -> int:
        """Embed characters as Discord counts them toward the 6,000 limit."""
        return sum(len(e) for e in self.embeds)


def colour_for(category: str | None, kind: str = "analysis") -> int:
    """A stable colour per category (same name, same colour, across restarts)."""
    if kind == "error":
        return ERROR_COLOUR
    if not category:
        return INFO_COLOUR
    return PALETTE[zlib.crc32(category.casefold().encode()) % len(PALETTE)]


def escape(text: str) -> str:
    """Untrusted text made inert: no markdown, no @everyone/@here/role/user mentions."""
    return escape_mentions(escape_markdown(text))


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    cut = cut.rstrip()
    while cut.endswith("\\"):  # never leave half an escape sequence
        cut = cut[:-1]
    return cut + "…"


_CJK_END = ("。", "！", "？")


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit`, split at paragraphs, then sentences, then words."""
    out: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        # CJK sentences end on 。！？ with no space after: joined back as they were
        sep = "\n\n" if piece.startswith("\x00") else "" if current.endswith(_CJK_END) else " "
        piece = piece.lstrip("\x00")
        joined = f"{current}{sep}{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            out.append(current)
            current = piece
    if current:
        out.append(current)
    return out


def _pieces(text: str, limit: int) -> list[str]:
    """Paragraphs (marked with a leading NUL) broken into sentences and words when too long."""
    pieces: list[str] = []
    for para in (p.strip() for p in text.split("\n\n")):
        if not para:
            continue
        parts = [para] if len(para) <= limit else _sentences(para, limit)
        pieces.append("\x00" + parts[0])
        pieces.extend(parts[1:])
    return pieces


def _sentences(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|(?<=[。！？])\s*", text):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            parts.append(sentence[:cut].rstrip())
            sentence = sentence[cut:].lstrip()
        if sentence:
            parts.append(sentence)
    return parts


def masked_link(label: str, url: str) -> str:
    """`[label](url)` with the label escaped and the URL unable to close the link early."""
    safe_label = re.sub(r"(?<!\\)([\[\]])", r"\\\1", escape(label))
    safe_url = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{safe_label}]({safe_url})"


def item_line(item: Item, number: int | None = None) -> str:
    """One list entry: linked title, lead and meta, all escaped."""
    url = item.url if item.url and _linkable(item.url) else None
    title = masked_link(item.title, url) if url else escape(item.title)
    head = f"**{number}.** {title}" if number is not None else f"**{title}**"
    tail = " · ".join(escape(p) for p in (item.text, item.meta) if p)
    if item.page_url and _linkable(item.page_url):
        page = masked_link("Read on the web", item.page_url)
        tail = f"{tail} · {page}" if tail else page
    return f"{head}\n{tail}" if tail else head


def _linkable(url: str | None) -> bool:
    return bool(url) and re.match(r"https?://", url or "") is not None and len(url or "") <= 2000


# --- packing embeds into messages ------------------------------------------------------------


class _Packer:
    """Fills embeds and messages in order, opening new ones when a limit would be crossed."""

    def __init__(self, colour: int) -> None:
        self.colour = colour
        self.messages: list[list[discord.Embed]] = [[]]

    def _total(self) -> int:
        return sum(len(e) for e in self.messages[-1])

    def new_embed(
        self, size: int = 0, *, title: str | None = None, url: str | None = None
    ) -> discord.Embed:
        """A new embed, in a new message if this one cannot take it plus `size` characters."""
        embed = discord.Embed(colour=self.colour, title=title, url=url)
        current = self.messages[-1]
        too_big = self._total() + len(embed) + size > MESSAGE_TOTAL_MAX
        if current and (len(current) >= EMBEDS_MAX or too_big):
            self.messages.append([])
        self.messages[-1].append(embed)
        return embed

    def _current(self, size: int) -> discord.Embed:
        """The last embed if its message can take `size` more characters, else a new one."""
        current = self.messages[-1]
        if current and self._total() + size <= MESSAGE_TOTAL_MAX:
            return current[-1]
        return self.new_embed(size)

    def description(self, text: str) -> None:
        for chunk in split_text(text, DESCRIPTION_MAX):
            embed = self._current(len(chunk))
            if embed.description or embed.fields:
                embed = self.new_embed(len(chunk))
            embed.description = chunk

    def field(self, name: str, value: str) -> None:
        for i, chunk in enumerate(split_text(value, FIELD_VALUE_MAX) or [BLANK]):
            label = name if i == 0 else fit(f"{name} (continued)", FIELD_NAME_MAX)
            embed = self._current(len(label) + len(chunk))
            if len(embed.fields) >= FIELDS_MAX:
                embed = self.new_embed(len(label) + len(chunk))
            embed.add_field(name=label, value=chunk, inline=False)

    def footer(self, text: str) -> None:
        self._current(len(text)).set_footer(text=text)

    def result(self) -> list[tuple[discord.Embed, ...]]:
        return [tuple(m) for m in self.messages if m]


def render(reply: Reply) -> list[Message]:
    """A reply as one or more Discord messages; buttons ride on the last one."""
    packer = _Packer(colour_for(reply.category, reply.kind))
    title = fit(escape(reply.title), TITLE_MAX) if reply.title else None
    url = reply.title_url if title and _linkable(reply.title_url) else None
    packer.new_embed(title=title, url=url)
    numbers = _numbering(reply)
    lead: list[str] = []
    in_fields = False
    for block in reply.blocks:
        if isinstance(block, Group):
            _flush_lead(packer, lead)
            in_fields = True
            text = "\n\n".join(_block_text(b, numbers) for b in block.blocks)
            packer.field(fit(escape(block.heading), FIELD_NAME_MAX) or BLANK, text)
        elif in_fields:
            packer.field(BLANK, _block_text(block, numbers))
        else:
            lead.append(_block_text(block, numbers))
    _flush_lead(packer, lead)
    footer = " · ".join(p for p in (reply.meta, reply.footer) if p)
    if footer:
        packer.footer(fit(footer, FOOTER_MAX))
    messages = [Message(embeds, (), reply.ephemeral) for embeds in packer.result()]
    buttons = buttons_for(reply)
    if buttons:
        messages[-1] = Message(messages[-1].embeds, buttons, reply.ephemeral)
    return messages


def _flush_lead(packer: _Packer, lead: list[str]) -> None:
    if lead:
        packer.description("\n\n".join(lead))
        lead.clear()


def _block_text(block: Paragraph | Item | Link | Group, numbers: dict[int, int]) -> str:
    if isinstance(block, Paragraph):
        return escape(block.text)
    if isinstance(block, Link):
        return masked_link(block.label, block.url) if _linkable(block.url) else escape(block.label)
    if isinstance(block, Item):
        return item_line(block, numbers.get(id(block)))
    inner = "\n\n".join(_block_text(b, numbers) for b in block.blocks)
    return f"**{escape(block.heading)}**\n{inner}"


def _numbering(reply: Reply) -> dict[int, int]:
    """Items that get an Open button are numbered, so the button labels match the lines."""
    return {id(item): n for n, item in enumerate(_open_items(reply), start=1)}


def _open_items(reply: Reply) -> list[Item]:
    """Items with an analysis behind them, as many as fit beside the action buttons."""
    room = BUTTONS_MAX - len(_action_buttons(reply))
    return [b for b in _all_blocks(reply) if isinstance(b, Item) and b.analysis_id][:room]


def _all_blocks(reply: Reply) -> list[Paragraph | Item | Link | Group]:
    out: list[Paragraph | Item | Link | Group] = []
    for block in reply.blocks:
        out.append(block)
        if isinstance(block, Group):
            out.extend(block.blocks)
    return out


def buttons_for(reply: Reply) -> tuple[Button, ...]:
    """Action buttons first (Related, Source), then one Open per numbered item; at most 25."""
    buttons = _action_buttons(reply)
    for number, item in enumerate(_open_items(reply), start=1):
        custom_id = OPEN_ID.format(id=item.analysis_id)
        buttons.append(Button(fit(f"{number}. {item.title}", LABEL_MAX), custom_id=custom_id))
    return tuple(buttons)


def _action_buttons(reply: Reply) -> list[Button]:
    buttons = [b for b in (_action_button(a) for a in reply.actions) if b is not None]
    return buttons[:BUTTONS_MAX]


def _action_button(action: Action) -> Button | None:
    label = fit(action.label, LABEL_MAX)
    if action.kind in ("source", "web"):
        ok = action.url and _linkable(action.url) and len(action.url) <= URL_MAX
        return Button(label, url=action.url) if ok else None
    if action.analysis_id is None:
        return None
    if action.kind in ("useful", "inaccurate"):
        return Button(label, custom_id=THOUGHT_ID.format(kind=action.kind, id=action.analysis_id))
    template = RELATED_ID if action.kind == "related" else OPEN_ID
    return Button(label, custom_id=template.format(id=action.analysis_id))
