"""Links: finding them in chat text and reducing them to the key articles are stored under."""

from __future__ import annotations

import ipaddress

import pytest

from bot.errors import NotALink
from bot.ingest.links import canonicalize, find_links, parse_ipv4, parse_url

CANONICAL = [
    # (what a user sends, the canonical form)
    ("HTTP://Example.COM/News", "http://example.com/News"),  # scheme and host only
    ("https://example.com", "https://example.com/"),  # empty path
    ("https://example.com:443/a", "https://example.com/a"),  # default port
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),  # other port kept
    ("https://example.com/a#comments", "https://example.com/a"),  # fragment
    ("https://example.com/a?utm_source=tw&utm_medium=social", "https://example.com/a"),
    ("https://example.com/a?id=7&fbclid=XYZ&gclid=1", "https://example.com/a?id=7"),
    ("https://example.com/a?UTM_Campaign=x&ref_src=twsrc", "https://example.com/a"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&igshid=3&_ga=4", "https://example.com/a"),
    ("https://example.com/a?msclkid=1&dclid=2&yclid=3", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),  # sorted
    ("https://example.com/a?t=2&a=1&t=1", "https://example.com/a?a=1&t=2&t=1"),  # stable
    ("https://example.com/a?&&b=1&", "https://example.com/a?b=1"),  # empty pairs
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/section/", "https://example.com/section/"),  # slash kept
    ("https://example.com/section", "https://example.com/section"),  # not invented
    ("https://www.example.com/a", "https://www.example.com/a"),  # www. kept
    ("https://m.example.com/a", "https://m.example.com/a"),  # mobile left alone
    ("https://example.com/amp/a", "https://example.com/amp/a"),  # AMP left alone
    ("https://example.com/a?outputType=amp", "https://example.com/a?outputType=amp"),
    ("https://bücher.example/ä", "https://xn--bcher-kva.example/%C3%A4"),  # IDN host
    ("https://ПРИМЕР.рф/", "https://xn--e1afmkfd.xn--p1ai/"),  # IDN, case folded
    ("https://example.com/%7euser/%2f", "https://example.com/~user/%2F"),  # escapes
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com./a", "https://example.com/a"),  # trailing dot on the host
    ("www.example.com/world/story", "https://www.example.com/world/story"),
    ("  https://example.com/a\n", "https://example.com/a"),
    ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
    ("http://[2606:4700::1111]:8080/a", "http://[2606:4700::1111]:8080/a"),
    ("http://2130706433/", "http://127.0.0.1/"),  # numeric spellings become dotted
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_canonical_form_is_stable() -> None:
    for url, expected in CANONICAL:
        assert canonicalize(expected) == expected, url


REFUSED = [
    ("hello there", "not a link"),
    ("example.com:8080/a", "not a link"),
    ("ftp://example.com/file", "only http and https links are supported, not ftp:"),
    ("file:///etc/passwd", "only http and https links are supported, not file:"),
    ("gopher://example.com/", "only http and https links are supported, not gopher:"),
    ("javascript:alert(1)", "only http and https links are supported, not javascript:"),
    ("data:text/html,<b>x</b>", "only http and https links are supported, not data:"),
    ("http://a@evil.example@127.0.0.1/", "user name or password"),
    ("https://user:pw@example.com/", "user name or password"),
    ("http://evil.example\\@127.0.0.1/", "user name or password"),
    ("https:///path", "no host name"),
    ("https://:80/", "no host name"),
    ("https://example.com:99999/", "port is not valid"),
    ("https://example.com:8x/", "port is not valid"),
    ("https://exa mple.com/", "host name is not valid"),
    ("https://127.0.0.1\\.evil.example/", "host name is not valid"),
    ("http://[::1/", "not closed"),
    ("http://[fe80::1%25eth0]/", "IPv6 zone"),
    ("http://[not:an:address]/", "IPv6 address is not valid"),
    ("http://1.2.3.4.5/", "numeric address is not valid"),
    ("http://256.1.1.1/", "numeric address is not valid"),
    ("http://example.08/", "numeric address is not valid"),
    ("https://example.com/" + "a" * 2100, "too long (over 2048 characters)"),
]


@pytest.mark.parametrize(("url", "message"), REFUSED)
def test_refused_links_say_why(url: str, message: str) -> None:
    with pytest.raises(NotALink, match=message.replace("(", r"\(").replace(")", r"\)")):
        canonicalize(url)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("10.1.65535", "10.1.255.255"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("169.254.169.254", "169.254.169.254"),
        ("1.2.3.4.", "1.2.3.4"),
    ],
)
def test_numeric_hosts_read_as_browsers_read_them(host: str, address: str) -> None:
    assert parse_ipv4(host) == ipaddress.IPv4Address(address)


@pytest.mark.parametrize("host", ["example.com", "localhost", "1.example", "a0x1.com"])
def test_names_are_not_numeric(host: str) -> None:
    assert parse_ipv4(host) is None


def test_parse_url_keeps_the_query_as_sent_for_fetching() -> None:
    parsed = parse_url("https://Example.com:8443/a/?utm_source=x&b=1#frag")
    assert (parsed.scheme, parsed.host, parsed.port) == ("https", "example.com", 8443)
    assert parsed.url == "https://example.com:8443/a/?utm_source=x&b=1"
    assert parsed.ip is None


def test_parse_url_marks_numeric_hosts() -> None:
    assert parse_url("http://[::ffff:7f00:1]/").ip == ipaddress.IPv6Address("::ffff:7f00:1")
    assert parse_url("http://0177.0.0.1:8080/").ip == ipaddress.IPv4Address("127.0.0.1")


# --- find_links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("read https://example.com/a please", ["https://example.com/a"]),
        ("https://example.com/a.", ["https://example.com/a"]),
        ("see (https://example.com/a), ok", ["https://example.com/a"]),
        ("<https://example.com/a>", ["https://example.com/a"]),
        ('"https://example.com/a"', ["https://example.com/a"]),
        (
            "https://example.com/a! https://example.com/b?",
            ["https://example.com/a", "https://example.com/b"],
        ),
        (
            "wiki: https://en.wikipedia.org/wiki/Foo_(bar).",
            ["https://en.wikipedia.org/wiki/Foo_(bar)"],
        ),
        ("[link](https://example.com/a)", ["https://example.com/a"]),
        ("go to www.example.com/x, now", ["https://www.example.com/x"]),
        (
            "two http://a.example/1\nhttp://b.example/2",
            ["http://a.example/1", "http://b.example/2"],
        ),
        ("dupes https://x.example/a https://x.example/a", ["https://x.example/a"]),
        (
            "same story https://x.example/a?utm_source=t and https://x.example/a#top",
            ["https://x.example/a?utm_source=t"],
        ),
        (
            "ftp://files.example/x and file:///etc/passwd",
            ["ftp://files.example/x", "file:///etc/passwd"],
        ),
        ("click javascript:alert(1)", ["javascript:alert(1)"]),
        ("data:text/html;base64,PGI+", ["data:text/html;base64,PGI+"]),
        ("新闻：https://example.cn/a。", ["https://example.cn/a"]),
        ("mail me at bob@www.example.com", []),
        ("no links here, just data: numbers", []),
        ("", []),
    ],
)
def test_find_links(text: str, links: list[str]) -> None:
    assert find_links(text) == links


def test_find_links_keeps_order_of_many() -> None:
    text = " ".join(f"https://site.example/{i}" for i in range(10))
    assert find_links(text) == [f"https://site.example/{i}" for i in range(10)]
