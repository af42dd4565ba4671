"""The Discord renderer: every message within Discord's limits, text escaped, buttons right.

Limits are checked twice: by direct assertions here and by the same validator the
local Discord server applies to what the real client sends.
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.discord_adapter.render import (
    BUTTONS_MAX,
    Message,
    colour_for,
    escape,
    fit,
    masked_link,
    render,
    split_text,
)
from bot.models import Action, Group, Item, Link, Paragraph, Reply
from tests.support.discord_server import FormErrors, validate_message

WORDS = "Officials said the new budget adds forty electric buses to the network. "


def analysis(sections: int = 4, paragraph_words: int = 60, title: str = "Budget passes") -> Reply:
    para = (WORDS * (paragraph_words // 12 + 1)).strip()
    groups = tuple(
        Group(f"Section {i}", (Paragraph(para), Paragraph(para))) for i in range(sections)
    )
    return Reply(
        kind="analysis",
        title=title,
        title_url="https://news.example/a/1",
        meta="Economy · 3 min read · AI analysis",
        blocks=(
            Paragraph("The lead paragraph."),
            *groups,
            Link("Source: Example", "https://news.example/a/1"),
        ),
        footer="AI analysis written by Claude from the source article.",
        actions=(
            Action("related", "Related", analysis_id=7),
            Action("source", "Source", url="https://news.example/a/1"),
        ),
        analysis_id=7,
        category="Economy",
    )


def wire(message: Message) -> dict[str, Any]:
    return {"embeds": [e.to_dict() for e in message.embeds]}


def assert_valid(messages: list[Message]) -> None:
    for message in messages:
        errors = FormErrors()
        validate_message(wire(message), errors)
        assert errors.tree == {}, errors.tree
        assert message.size() <= 6000
        assert len(message.embeds) <= 10
        assert len(message.buttons) <= BUTTONS_MAX


def test_short_analysis_is_one_embed_with_title_link_fields_and_footer() -> None:
    (message,) = render(analysis(sections=3, paragraph_words=30))
    (embed,) = message.embeds
    assert embed.title == "Budget passes"
    assert embed.url == "https://news.example/a/1"
    assert embed.description == "The lead paragraph."
    assert [f.name for f in embed.fields][:3] == ["Section 0", "Section 1", "Section 2"]
    assert embed.footer.text is not None
    assert embed.footer.text.startswith("Economy · 3 min read · AI analysis · AI analysis written")
    assert embed.colour is not None and embed.colour.value == colour_for("Economy")


def test_buttons_related_with_stable_custom_id_and_source_link() -> None:
    (message,) = render(analysis(sections=1))
    related, source = message.buttons
    assert (related.label, related.custom_id, related.url) == ("Related", "prism:related:7", None)
    assert (source.label, source.custom_id, source.url) == (
        "Source",
        None,
        "https://news.example/a/1",
    )


def test_very_long_analysis_splits_into_valid_messages_and_keeps_every_word() -> None:
    reply = analysis(sections=30, paragraph_words=400)
    messages = render(reply)
    assert len(messages) > 1
    assert_valid(messages)
    text = "\n".join(f.value or "" for m in messages for e in m.embeds for f in e.fields)
    assert text.count("forty electric buses") == reply.plain_text().count("forty electric buses")
    assert messages[-1].buttons and not any(m.buttons for m in messages[:-1])
    assert messages[-1].embeds[-1].footer.text is not None


def test_long_section_continues_in_further_fields() -> None:
    reply = analysis(sections=1, paragraph_words=600)
    fields = [f for m in render(reply) for e in m.embeds for f in e.fields]
    names = [f.name for f in fields]
    assert names[0] == "Section 0"
    assert "Section 0 (continued)" in names
    assert all(len(f.value or "") <= 1024 for f in fields)


def test_more_than_25_sections_open_a_second_embed() -> None:
    messages = render(analysis(sections=40, paragraph_words=5))
    embeds = [e for m in messages for e in m.embeds]
    assert len(embeds) >= 2
    assert all(len(e.fields) <= 25 for e in embeds)
    assert_valid(messages)


def test_overlong_title_description_and_footer_are_cut_to_the_limits() -> None:
    reply = Reply(
        kind="info",
        title="T" * 500,
        blocks=(Paragraph("word " * 2000),),
        footer="f" * 3000,
    )
    messages = render(reply)
    assert_valid(messages)
    first = messages[0].embeds[0]
    assert first.title is not None and len(first.title) == 256 and first.title.endswith("…")
    descriptions = [e.description for m in messages for e in m.embeds if e.description]
    assert len(descriptions) >= 3 and all(len(d) <= 4096 for d in descriptions)
    footers = [e.footer.text for m in messages for e in m.embeds if e.footer.text]
    assert len(footers) == 1 and len(footers[0]) == 2048


def test_everyone_and_markdown_in_article_text_are_inert() -> None:
    reply = analysis(title="@everyone *buy* now <@&123456789012345678>")
    embed = render(reply)[0].embeds[0]
    assert embed.title is not None
    assert "@everyone" not in embed.title and "@\u200beveryone" in embed.title
    assert "\\*buy\\*" in embed.title
    assert "<@&123456789012345678>" not in embed.title


def test_escape_neutralises_here_and_role_mentions() -> None:
    assert escape("@here and @everyone") == "@\u200bhere and @\u200beveryone"
    assert escape("_x_ ~y~ |z|") == "\\_x\\_ \\~y\\~ \\|z\\|"


def test_masked_link_label_cannot_break_out_and_url_cannot_close_early() -> None:
    link = masked_link("a] [b", "https://e.example/p(1)")
    assert link == "[a\\] \\[b](https://e.example/p%281%29)"


def test_items_become_numbered_lines_with_open_buttons() -> None:
    items = tuple(
        Item(f"Story {i}", "Lead.", "Economy · 2 min read", f"https://e.example/{i}", 100 + i)
        for i in range(3)
    )
    (message,) = render(Reply(kind="related", title="Related to: X", blocks=items))
    assert message.embeds[0].description is not None
    assert "**1.** [Story 0](https://e.example/0)" in message.embeds[0].description
    assert [b.custom_id for b in message.buttons] == [
        "prism:open:100",
        "prism:open:101",
        "prism:open:102",
    ]
    assert message.buttons[0].label == "1. Story 0"


def test_digest_groups_become_fields_and_buttons_stop_at_25() -> None:
    groups = tuple(
        Group(
            cat,
            tuple(
                Item(f"{cat} story {i}", "Lead.", "", f"https://e.example/{cat}/{i}", i)
                for i in range(10)
            ),
        )
        for cat in ("Economy", "Science", "Health")
    )
    messages = render(Reply(kind="digest", title="Your digest", blocks=groups))
    assert_valid(messages)
    assert len(messages[-1].buttons) == 25
    assert [f.name for f in messages[0].embeds[0].fields] == ["Economy", "Science", "Health"]


def test_error_reply_is_red_and_ephemeral() -> None:
    reply = Reply(
        kind="error", blocks=(Paragraph("That is not a link."),), ephemeral=True, error="not-a-link"
    )
    (message,) = render(reply)
    assert message.ephemeral
    assert message.embeds[0].description == "That is not a link."
    assert message.embeds[0].colour is not None and message.embeds[0].colour.value == 0xE74C3C


def test_category_colours_are_stable_and_case_insensitive() -> None:
    assert colour_for("Economy") == colour_for("economy") == colour_for("ECONOMY")
    assert len({colour_for(c) for c in ("Economy", "Science", "Health", "Sports")}) > 1


@pytest.mark.parametrize(
    ("text", "limit"),
    [("word " * 500, 100), ("x" * 5000, 1024), ("One. Two. Three.\n\n" * 200, 300)],
)
def test_split_text_respects_the_limit(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert chunks and all(0 < len(c) <= limit for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_fit_never_leaves_half_an_escape() -> None:
    assert fit("ab\\" + "c" * 10, 4) == "ab…"
    assert fit("short", 10) == "short"
