"""Feed parsing: the three formats, normalised items, and every hostile document refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.feeds.parse import BadFeed, parse_feed
from tests.support.feed_server import (
    HTML_PAGE,
    LAUGHS_FEED,
    MALFORMED_FEED,
    XXE_FEED,
    Item,
    atom,
    json_feed,
    rss,
)

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
ITEMS = [
    Item(
        "First & best", "HTTP://Example.com/a?utm_source=feed#top", "g-1", NOW - timedelta(hours=1)
    ),
    Item(
        "Second", "http://example.com/b", "g-2", NOW - timedelta(hours=2), "<p>Lead <b>text</b></p>"
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (rss(ITEMS), "application/rss+xml"),
        (atom(ITEMS), "application/atom+xml"),
        (json_feed(ITEMS), "application/feed+json"),
    ],
    ids=["rss", "atom", "json"],
)
def test_each_format_gives_the_same_items(body: bytes, content_type: str) -> None:
    feed = parse_feed(body, content_type, NOW)
    assert [i.link for i in feed.items] == ["http://example.com/a", "http://example.com/b"]
    assert [i.guid for i in feed.items] == ["g-1", "g-2"]
    assert feed.items[0].title == "First & best"
    assert feed.items[0].published == NOW - timedelta(hours=1)
    assert feed.items[1].summary == "Lead text"


def test_rss_091_with_a_public_doctype_is_read() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC'
        b' "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel>'
        b"<title>Old</title><item><title>A</title><link>http://example.com/old</link></item>"
        b"</channel></rss>"
    )
    assert [i.link for i in parse_feed(body, "text/xml", NOW).items] == ["http://example.com/old"]


def test_rss_1_0_rdf_is_read() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="http://example.com/"><title>RDF</title><link>http://example.com/</link>
<description>d</description></channel>
<item rdf:about="http://example.com/rdf-1"><title>One</title><link>http://example.com/rdf-1</link></item>
</rdf:RDF>"""
    assert [i.link for i in parse_feed(body, "application/rdf+xml", NOW).items] == [
        "http://example.com/rdf-1"
    ]


def test_ttl_is_read_in_minutes() -> None:
    assert parse_feed(rss(ITEMS, ttl=90), "application/rss+xml", NOW).ttl_min == 90


def test_garbage_dates_are_dropped_and_future_dates_clamped_to_now() -> None:
    items = [
        Item("Garbage", "http://example.com/g", "g", "not a date at all"),
        Item("Future", "http://example.com/f", "f", NOW + timedelta(days=400)),
        Item("Ancient", "http://example.com/o", "o", "Mon, 01 Jan 1900 00:00:00 GMT"),
    ]
    for body, mime in ((rss(items), "application/rss+xml"), (json_feed(items), "application/json")):
        dates = {i.title: i.published for i in parse_feed(body, mime, NOW).items}
        assert dates == {"Garbage": None, "Future": NOW, "Ancient": None}


def test_items_without_links_are_skipped_and_counted() -> None:
    items = [Item("No link", None, "n1"), Item("Bad link", "javascript:alert(1)", "n2"), *ITEMS]
    feed = parse_feed(rss(items), "application/rss+xml", NOW)
    assert [i.guid for i in feed.items] == ["g-1", "g-2"]
    assert feed.skipped == 2


def test_duplicate_guids_keep_the_first_item() -> None:
    items = [
        Item("One", "http://example.com/1", "same"),
        Item("Two", "http://example.com/2", "same"),
    ]
    feed = parse_feed(rss(items), "application/rss+xml", NOW)
    assert [i.title for i in feed.items] == ["One"]
    assert feed.skipped == 1


def test_a_missing_guid_falls_back_to_the_canonical_link() -> None:
    feed = parse_feed(rss([Item("x", "http://Example.com/p?utm_medium=rss")]), "", NOW)
    assert feed.items[0].guid == "http://example.com/p"


def test_ten_thousand_items_are_all_read() -> None:
    items = [Item(f"Item {n}", f"http://example.com/{n}", f"g{n}") for n in range(10_000)]
    assert len(parse_feed(rss(items), "application/rss+xml", NOW).items) == 10_000


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (XXE_FEED, "declares XML entities"),
        (LAUGHS_FEED, "declares XML entities"),
        (XXE_FEED.decode().encode("utf-16"), "declares XML entities"),
        (MALFORMED_FEED, "not well-formed XML"),
        (HTML_PAGE, "an HTML page, not a news feed"),
        (b"just some text", "not a news feed"),
        (b"{not json", "not valid JSON"),
        (b'{"version": "https://example.com/v9", "items": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', "no items list"),
        (b"[1, 2]", "not an object"),
    ],
    ids=["xxe", "billion-laughs", "xxe-utf16", "malformed", "html", "text", "bad-json",
         "json-version", "json-items", "json-array"],
)  # fmt: skip
def test_hostile_or_broken_documents_are_refused_with_a_reason(body: bytes, answer: str) -> None:
    with pytest.raises(BadFeed, match=answer) as info:
        parse_feed(body, "application/rss+xml", NOW)
    assert info.value.kind == "bad-feed"


def test_json_feed_entries_that_are_not_objects_are_skipped() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1", "items": [7, {"id": 1, "url": "http://example.com/j"}]}'
    feed = parse_feed(body, "application/feed+json", NOW)
    assert [(i.guid, i.link) for i in feed.items] == [("1", "http://example.com/j")]
    assert feed.skipped == 1
