"""The console adapter: line parsing and rendering that never trusts article text."""

from __future__ import annotations

import io

from rich.console import Console

from adapters.console import parse_line, print_replies, render
from bot.models import Action, Group, Item, Link, Paragraph, Reply


def test_parse_line() -> None:
    assert parse_line("/related 12") == ("related", "12")
    assert parse_line("/HELP") == ("help", "")
    assert parse_line("  https://x.example/a  ") == ("message", "https://x.example/a")
    assert parse_line("   ") is None


def test_markup_in_article_text_is_shown_literally() -> None:
    reply = Reply(
        kind="analysis",
        title="[bold red]Markets[/] <b>rally</b>",
        meta="Economy · 2 min read",
        blocks=(
            Paragraph("Lead with [link=http://evil.example]a trap[/link]."),
            Group("What happened", (Paragraph("Shares rose 4%."),)),
            Link("Source: Example", "https://news.example/a"),
        ),
        footer="Automatic extract.",
        actions=(Action("related", "Related", analysis_id=3),),
        analysis_id=3,
    )
    out = io.StringIO()
    print_replies([reply], Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "[bold red]Markets[/] <b>rally</b>" in text
    assert "[link=http://evil.example]a trap[/link]" in text
    assert "/related 3" in text


def test_items_offer_the_analysis_id() -> None:
    reply = Reply(
        kind="digest",
        title="Digest",
        blocks=(Item("Headline", "Lead", "Economy", "https://x.example", 7),),
    )
    assert "/show 7" in render(reply).plain


def test_errors_render_as_one_line() -> None:
    reply = Reply(kind="error", blocks=(Paragraph("That is not a link."),), error="not-a-link")
    assert render(reply).plain == "✗ That is not a link."
