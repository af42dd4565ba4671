"""Telegram rendering: escaped HTML that Telegram accepts, split where a reader expects."""

from __future__ import annotations

import pytest

from adapters.telegram_adapter.render import LIMIT, deep_link, plain, render, utf16_len
from bot.models import Action, Group, Item, Link, Paragraph, Reply
from tests.support.telegram_server import EntityError, parse_html

SENTENCE = "The council approved forty electric buses for the harbour line. "


def analysis(
    title: str = "Rates held", sections: int = 3, paras: int = 2, text: str = SENTENCE
) -> Reply:
    return Reply(
        kind="analysis",
        title=title,
        title_url="https://news.example/a",
        meta="Economy · 3 min read · Automatic extract",
        blocks=(
            Paragraph("The lead says what happened."),
            *(
                Group(f"Section {s}", tuple(Paragraph(text * 3) for _ in range(paras)))
                for s in range(sections)
            ),
            Link("Source: News — Rates held", "https://news.example/a?x=1&y=2"),
        ),
        footer="Automatic extract of the source article.",
        actions=(
            Action("related", "Related", analysis_id=42),
            Action("source", "Source", url="https://news.example/a"),
        ),
        analysis_id=42,
        category="Economy",
    )


def visible(html_text: str) -> str:
    return parse_html(html_text)  # raises EntityError as Telegram would refuse it


def test_analysis_layout_bold_title_italic_meta_headings_source_footer() -> None:
    (part,) = render(analysis(sections=1, paras=1))
    assert part.html.startswith("<b>Rates held</b>\n\n<i>Economy · 3 min read")
    assert "<b>Section 0</b>\nThe council" in part.html
    assert '<a href="https://news.example/a?x=1&amp;y=2">Source: News — Rates held</a>' in (
        part.html
    )
    assert part.html.endswith("<i>Automatic extract of the source article.</i>")
    visible(part.html)


def test_keyboard_has_related_callback_and_source_url() -> None:
    (part,) = render(analysis(sections=1))
    assert part.keyboard is not None
    (row,) = part.keyboard.inline_keyboard
    assert [(b.text, b.callback_data, b.url) for b in row] == [
        ("Related", "related:42", None),
        ("Source", None, "https://news.example/a"),
    ]


def test_markup_in_article_text_is_escaped() -> None:
    (part,) = render(analysis(title="Fish & chips <b>tax</b> < 5%", sections=1))
    assert part.html.startswith("<b>Fish &amp; chips &lt;b&gt;tax&lt;/b&gt; &lt; 5%</b>")
    assert visible(part.html).startswith("Fish & chips <b>tax</b> < 5%")


def test_attribute_quotes_cannot_break_out_of_href() -> None:
    reply = Reply(kind="info", blocks=(Link("x", 'https://e.example/"><i>'),))
    (part,) = render(reply)
    assert part.html == '<a href="https://e.example/&quot;&gt;&lt;i&gt;">x</a>'
    visible(part.html)


def test_non_web_links_are_text_not_anchors() -> None:
    reply = Reply(kind="info", blocks=(Link("Open", "javascript:alert(1)"),))
    assert render(reply)[0].html == "Open: javascript:alert(1)"


def test_long_analysis_splits_at_paragraph_boundaries_with_keyboard_last() -> None:
    reply = analysis(sections=12, paras=4)
    parts = render(reply)
    assert len(parts) >= 3
    texts = [visible(p.html) for p in parts]
    assert all(utf16_len(t) <= LIMIT for t in texts)
    assert all(t.endswith(SENTENCE.strip()) or t.endswith("article.") for t in texts)
    assert [p.keyboard is not None for p in parts] == [False] * (len(parts) - 1) + [True]
    whole = "\n\n".join(texts)
    assert whole == plain_reply(reply)


def plain_reply(reply: Reply) -> str:
    """What the parts together must show: every paragraph, none lost or repeated."""
    return "\n\n".join(visible(p.html) for p in render(reply, limit=10**9))


def test_paragraph_longer_than_the_limit_splits_at_sentences() -> None:
    reply = Reply(kind="info", title="Long", blocks=(Paragraph(SENTENCE * 200),))
    parts = render(reply)
    assert len(parts) >= 3
    for part in parts:
        text = visible(part.html)
        assert utf16_len(text) <= LIMIT
        assert text.endswith("harbour line.")


def test_styled_paragraph_split_closes_and_reopens_tags() -> None:
    reply = Reply(kind="info", footer=SENTENCE * 150)  # one italic paragraph, ~9,600 chars
    parts = render(reply)
    assert len(parts) == 3
    for part in parts:
        assert part.html.startswith("<i>") and part.html.endswith("</i>")
        visible(part.html)


def test_one_enormous_word_is_cut_by_characters() -> None:
    reply = Reply(kind="info", blocks=(Paragraph("x" * 9000),))
    parts = render(reply)
    assert [utf16_len(visible(p.html)) for p in parts] == [LIMIT, LIMIT, 9000 - 2 * LIMIT]


def test_escaping_never_splits_an_entity() -> None:
    reply = Reply(kind="info", blocks=(Paragraph("a&b<c " * 1500),))
    parts = render(reply)
    assert len(parts) == 3
    assert "".join(visible(p.html) + " " for p in parts).split() == ["a&b<c"] * 1500


def test_length_counts_utf16_code_units() -> None:
    reply = Reply(kind="info", blocks=(Paragraph("😀 " * 3000),))  # 3 units each
    parts = render(reply)
    assert all(utf16_len(visible(p.html)) <= LIMIT for p in parts)
    assert sum(visible(p.html).count("😀") for p in parts) == 3000


def test_items_have_bold_title_meta_source_and_open_deep_link() -> None:
    reply = Reply(
        kind="related",
        title="Related to: Rates held",
        blocks=(
            Item("Wages <rise>", "Pay grew 4%.", "Economy · 2 min read", "https://n.example/w", 7),
            Item("No id", url="https://n.example/x"),
        ),
    )
    (part,) = render(reply, bot_username="prism_bot")
    assert "• <b>Wages &lt;rise&gt;</b>\nPay grew 4%.\n<i>Economy · 2 min read</i>" in part.html
    assert '<a href="https://n.example/w">Source</a>' in part.html
    assert f'<a href="{deep_link("prism_bot", 7)}">Open</a>' in part.html
    assert deep_link("prism_bot", 7) == "https://t.me/prism_bot?start=a_7"
    assert part.html.count("Open") == 1
    visible(part.html)


def test_error_reply_is_short_escaped_text() -> None:
    reply = Reply(kind="error", error="not-a-link", blocks=(Paragraph("that is not a link: <x>"),))
    (part,) = render(reply)
    assert part.html == "that is not a link: &lt;x&gt;"
    assert part.keyboard is None


def test_plain_fallback_shows_the_visible_text() -> None:
    (part,) = render(analysis(title="A & B", sections=1, paras=1))
    assert plain(part.html) == visible(part.html)


@pytest.mark.parametrize(
    "bad",
    ["<b>open", "<script>x</script>", "a & b", "<a>x</a>", "<b><i>x</b></i>", "<span>x</span>"],
)
def test_the_test_server_refuses_what_telegram_refuses(bad: str) -> None:
    with pytest.raises(EntityError):
        parse_html(bad)


def test_the_test_server_decodes_entities_and_nesting() -> None:
    html_text = (
        '<b>a <i>b</i></b> &lt;&amp;&gt;&quot;&#39;&#x41; <a href="https://e/?a&amp;b">l</a>'
    )
    assert parse_html(html_text) == "a b <&>\"'A l"
