"""The SSRF-safe fetcher against the local site, with a resolver and a dialler we control.

Refusal tests must hold even if the check were broken: the recording network backend
notes every dial attempt and refuses anything but loopback (or everything), and each
such test asserts that no attempt was made at all.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
import pytest
from aiohttp import web

from bot.config import FetchConfig
from bot.errors import (
    BlockedAddress,
    FetchFailed,
    NotALink,
    NotAnArticle,
    PageNotFound,
    PrismError,
    TimedOut,
    TooLarge,
    TooManyRedirects,
)
from bot.ingest.fetch import (
    BLOCKED_V4,
    BLOCKED_V6,
    Fetcher,
    PinnedBackend,
    SystemResolver,
    blocked_reason,
    check_address,
    embedded_ipv4,
    parse_networks,
)
from tests.support.site import Handler, Site, article_html

LOOPBACK = frozenset({"127.0.0.1", "::1"})


class RecordingResolver:
    """Names mean what the test says; every lookup is recorded."""

    def __init__(self, names: dict[str, list[str]] | None = None) -> None:
        self.names = names or {}
        self.calls: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return list(self.names.get(host, []))


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records every dial; dials loopback only (or nothing when `refuse_all`)."""

    def __init__(self, refuse_all: bool = False) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.refuse_all = refuse_all
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.attempts.append((host, port))
        if self.refuse_all or host not in LOOPBACK:
            raise httpcore.ConnectError(f"test backend refuses to dial {host}")
        return await self._inner.connect_tcp(host, port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@dataclass
class Rig:
    fetcher: Fetcher
    resolver: RecordingResolver
    backend: RecordingBackend
    config: FetchConfig = field(default_factory=FetchConfig)


MakeRig = Callable[..., Rig]


@pytest.fixture
async def make() -> AsyncIterator[MakeRig]:
    """Build fetchers with a recording resolver and backend; all closed after the test."""
    made: list[Fetcher] = []

    def build(
        *,
        names: dict[str, list[str]] | None = None,
        refuse_all: bool = False,
        **settings: object,
    ) -> Rig:
        values: dict[str, Any] = {"allow_networks": ("127.0.0.1/32",), "timeout_s": 2.0}
        values.update(settings)
        config = FetchConfig(**values)
        resolver = RecordingResolver(names)
        backend = RecordingBackend(refuse_all)
        fetcher = Fetcher(config, resolver=resolver, network_backend=backend)
        made.append(fetcher)
        return Rig(fetcher, resolver, backend, config)

    yield build
    for fetcher in made:
        await fetcher.aclose()


# --- the pure address check ----------------------------------------------------------------

REFUSED_ADDRESSES = [
    "127.0.0.1", "127.255.255.254", "::1", "0.0.0.0", "::", "10.0.0.1", "100.64.0.1",
    "100.127.255.255", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8",
    "192.0.2.1", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.255",
    "198.51.100.7", "203.0.113.9", "224.0.0.251", "239.255.255.250", "240.0.0.1",
    "255.255.255.255", "::ffff:7f00:1", "::ffff:10.1.2.3", "::7f00:1", "::a00:1",
    "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "2002:a9fe:a9fe::", "2002:7f00:1::1",
    "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1",
    "2001:db8::1", "100::1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:10::1", "64:ff9b:1::1",
]  # fmt: skip

ALLOWED_ADDRESSES = [
    "93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0",
    "172.15.255.255", "172.32.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
    "2606:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
    "2002:808:808::1", "2001:200::1",
]  # fmt: skip


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(BlockedAddress, match="only public web sites are fetched"):
        check_address(address)


@pytest.mark.parametrize("address", ALLOWED_ADDRESSES)
def test_public_addresses_pass(address: str) -> None:
    assert check_address(address) == ipaddress.ip_address(address)


@pytest.mark.parametrize(("cidr", "why"), BLOCKED_V4 + BLOCKED_V6)
def test_every_listed_range_is_refused_at_both_ends(cidr: str, why: str) -> None:
    net = ipaddress.ip_network(cidr)
    assert blocked_reason(net[0]) == why
    assert blocked_reason(net[-1]) is not None  # 240/4 ends in the broadcast address


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("::ffff:7f00:1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),
        ("2002:a9fe:a9fe::", "link-local"),
        ("::c0a8:101", "private"),
    ],
)
def test_embedded_ipv4_is_what_gets_judged(address: str, reason: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) == reason


def test_embedded_ipv4_unwraps_every_form() -> None:
    def v6(text: str) -> ipaddress.IPv6Address:
        return ipaddress.IPv6Address(text)

    assert str(embedded_ipv4(v6("::ffff:1.2.3.4"))) == "1.2.3.4"
    assert str(embedded_ipv4(v6("::1.2.3.4"))) == "1.2.3.4"
    assert str(embedded_ipv4(v6("64:ff9b::1.2.3.4"))) == "1.2.3.4"
    assert str(embedded_ipv4(v6("2002:102:304::"))) == "1.2.3.4"
    teredo = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2")
    assert str(embedded_ipv4(teredo)) == "192.0.2.45"
    assert embedded_ipv4(v6("2606:4700::1111")) is None


def test_allow_networks_exempt_exactly_what_they_list() -> None:
    allow = parse_networks(["127.0.0.0/8"])
    assert blocked_reason(ipaddress.ip_address("127.0.0.1"), allow) is None
    assert blocked_reason(ipaddress.ip_address("::ffff:127.0.0.1"), allow) is None
    assert blocked_reason(ipaddress.ip_address("::1"), allow) == "loopback"
    assert blocked_reason(ipaddress.ip_address("10.0.0.1"), allow) == "private"
    one = parse_networks(["127.0.0.1/32"])
    assert blocked_reason(ipaddress.ip_address("127.0.0.2"), one) == "loopback"


def test_a_resolver_answer_that_is_not_an_address_fails() -> None:
    with pytest.raises(FetchFailed, match="not an address"):
        check_address("not-an-ip")


# --- bad input through fetch(): refused, and nothing dialled -------------------------------

BAD_URLS = [
    ("not a url", NotALink),
    ("ftp://files.example/x", NotALink),
    ("file:///etc/passwd", NotALink),
    ("gopher://example.com/", NotALink),
    ("javascript:alert(1)", NotALink),
    ("data:text/html,<script>x</script>", NotALink),
    ("http://127.0.0.1", BlockedAddress),
    ("http://localhost.", BlockedAddress),
    ("http://[::1]", BlockedAddress),
    ("http://0x7f000001", BlockedAddress),
    ("http://2130706433", BlockedAddress),
    ("http://017700000001", BlockedAddress),
    ("http://0177.0.0.1", BlockedAddress),
    ("http://127.1", BlockedAddress),
    ("http://10.0.0.1:6379", BlockedAddress),
    ("http://100.64.0.1", BlockedAddress),
    ("http://169.254.169.254/latest/meta-data/", BlockedAddress),
    ("http://[::ffff:7f00:1]", BlockedAddress),
    ("http://[::127.0.0.1]", BlockedAddress),
    ("http://[64:ff9b::a9fe:a9fe]", BlockedAddress),
    ("http://[2002:a9fe:a9fe::]", BlockedAddress),
    ("http://[fe80::1%25eth0]", NotALink),
    ("http://0.0.0.0", BlockedAddress),
    ("http://[::]", BlockedAddress),
    ("http://a@evil.example@127.0.0.1/", NotALink),
]


@pytest.mark.parametrize(("url", "error"), BAD_URLS)
async def test_bad_input_is_refused_without_a_connection(
    make: MakeRig, url: str, error: type[PrismError]
) -> None:
    rig = make(names={"localhost": ["127.0.0.1", "::1"]}, refuse_all=True, allow_networks=())
    with pytest.raises(error) as caught:
        await rig.fetcher.fetch(url)
    assert caught.value.message  # a one-line answer
    assert "\n" not in caught.value.message
    assert rig.backend.attempts == []


async def test_a_name_resolving_to_loopback_is_refused(make: MakeRig) -> None:
    rig = make(names={"evil.test": ["127.0.0.1"]}, refuse_all=True, allow_networks=())
    with pytest.raises(BlockedAddress, match="loopback address"):
        await rig.fetcher.fetch("https://evil.test/story")
    assert rig.resolver.calls == [("evil.test", 443)]
    assert rig.backend.attempts == []


@pytest.mark.parametrize("order", [["93.184.216.34", "10.0.0.5"], ["10.0.0.5", "93.184.216.34"]])
async def test_one_private_address_among_several_refuses_the_host(
    make: MakeRig, order: list[str]
) -> None:
    rig = make(names={"mixed.test": order}, refuse_all=True)
    with pytest.raises(BlockedAddress, match="private address"):
        await rig.fetcher.fetch("http://mixed.test/")
    assert rig.backend.attempts == []


async def test_a_name_that_does_not_resolve_fails(make: MakeRig) -> None:
    rig = make(refuse_all=True)
    with pytest.raises(FetchFailed, match="could not be resolved"):
        await rig.fetcher.fetch("http://nowhere.test/")
    assert rig.backend.attempts == []


async def test_the_default_configuration_refuses_the_local_site(article_site: Site) -> None:
    backend = RecordingBackend()
    fetcher = Fetcher(FetchConfig(), network_backend=backend)
    try:
        with pytest.raises(BlockedAddress, match="loopback"):
            await fetcher.fetch(article_site.url("/slow?ms=0"))
    finally:
        await fetcher.aclose()
    assert backend.attempts == []
    assert sum(article_site.hits.values()) == 0


async def test_the_pinned_backend_never_dials_an_unchecked_host() -> None:
    inner = RecordingBackend()
    with pytest.raises(httpcore.ConnectError, match="not checked"):
        await PinnedBackend(inner).connect_tcp("127.0.0.1", 9)
    assert inner.attempts == []


async def test_system_resolver_answers_numeric_hosts_without_lookup() -> None:
    assert await SystemResolver().resolve("127.0.0.1", 80) == ["127.0.0.1"]


# --- what a good fetch looks like ----------------------------------------------------------


def _capture(seen: list[web.Request], body: bytes = b"") -> Handler:
    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        return web.Response(body=body or article_html(), content_type="text/html")

    return handler


async def test_a_named_host_is_dialled_at_the_checked_address(
    make: MakeRig, article_site: Site
) -> None:
    seen: list[web.Request] = []
    article_site.add("/story", _capture(seen))
    port = int(article_site.base.rsplit(":", 1)[1])
    rig = make(names={"news.test": ["127.0.0.1"]})
    page = await rig.fetcher.fetch(f"http://news.test:{port}/story?utm_source=x")
    assert page.status == 200
    assert page.final_url == f"http://news.test:{port}/story?utm_source=x"
    assert rig.resolver.calls == [("news.test", port)]  # one lookup, no second one
    assert rig.backend.attempts == [("127.0.0.1", port)]  # dialled the vetted address
    assert seen[0].headers["Host"] == f"news.test:{port}"  # the name still travels
    assert seen[0].headers["User-Agent"] == rig.config.user_agent


async def test_an_html_page_comes_back_as_raw_bytes_with_its_charset(
    make: MakeRig, article_site: Site
) -> None:
    body = "<html><body><p>Новости дня</p></body></html>".encode("cp1251")
    url = article_site.add_page("/ru.html", body, content_type="text/html; charset=Windows-1251")
    page = await make().fetcher.fetch(url)
    assert page.body == body
    assert page.charset == "windows-1251"
    assert page.content_type == "text/html"


@pytest.mark.parametrize(
    ("head", "charset"),
    [
        (b'<meta charset="euc-kr">', "euc-kr"),
        (b"<meta charset=utf-8>", "utf-8"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">', "koi8-r"),
        (b"<title>no charset</title>", None),
    ],
)
async def test_charset_from_an_early_meta(
    make: MakeRig, article_site: Site, head: bytes, charset: str | None
) -> None:
    body = b"<!doctype html><html><head>" + head + b"</head><body>x</body></html>"
    url = article_site.add_page("/m.html", body, content_type="text/html")
    page = await make().fetcher.fetch(url)
    assert page.charset == charset
    assert page.body == body


async def test_xhtml_is_an_article_type(make: MakeRig, article_site: Site) -> None:
    url = article_site.add_page("/x", article_html(), content_type="application/xhtml+xml")
    page = await make().fetcher.fetch(url)
    assert page.content_type == "application/xhtml+xml"


async def test_an_untyped_html_page_is_sniffed(make: MakeRig, article_site: Site) -> None:
    url = article_site.add_page("/untyped", article_html(), content_type=None)
    page = await make().fetcher.fetch(url)
    assert page.content_type == "text/html"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_pages_are_decompressed(
    make: MakeRig, article_site: Site, encoding: str
) -> None:
    html = article_html()
    packed = gzip.compress(html) if encoding == "gzip" else zlib.compress(html)
    url = article_site.add_page("/z.html", packed, headers={"Content-Encoding": encoding})
    page = await make().fetcher.fetch(url)
    assert page.body == html


async def test_cookies_follow_redirects_but_not_other_fetches(
    make: MakeRig, article_site: Site
) -> None:
    seen: list[web.Request] = []

    async def login(request: web.Request) -> web.Response:
        response = web.Response(status=302, headers={"Location": "/private"})
        response.set_cookie("session", "s1")
        return response

    article_site.add("/login", login)
    article_site.add("/private", _capture(seen))
    rig = make()
    await rig.fetcher.fetch(article_site.url("/login"))
    await rig.fetcher.fetch(article_site.url("/private"))
    assert [r.cookies.get("session") for r in seen] == ["s1", None]


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_followed(make: MakeRig, article_site: Site, status: int) -> None:
    target = article_site.add_page("/final.html", article_html())
    page = await make().fetcher.fetch(article_site.url(f"/redirect?to=/final.html&status={status}"))
    assert page.final_url == target
    assert page.url == article_site.url(f"/redirect?to=/final.html&status={status}")


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://127.0.0.2:{port}/x", BlockedAddress),
        ("http://169.254.169.254/latest/meta-data/", BlockedAddress),
        ("http://internal.test/admin", BlockedAddress),
        ("http://[::ffff:a9fe:a9fe]/", BlockedAddress),
        ("ftp://files.example/", NotALink),
        ("http://u@evil.example@10.0.0.1/", NotALink),
    ],
)
async def test_a_redirect_to_a_refused_address_is_refused_at_the_hop(
    make: MakeRig, article_site: Site, location: str, error: type[PrismError]
) -> None:
    port = int(article_site.base.rsplit(":", 1)[1])
    rig = make(names={"internal.test": ["10.1.2.3"]})
    to = location.format(port=port)
    with pytest.raises(error):
        await rig.fetcher.fetch(article_site.url("/redirect") + "?to=" + to)
    assert rig.backend.attempts == [("127.0.0.1", port)]  # only the allowed site
    assert article_site.hits["/redirect"] == 1


async def test_a_redirect_loop_is_refused(make: MakeRig, article_site: Site) -> None:
    with pytest.raises(TooManyRedirects, match="redirects in a loop"):
        await make().fetcher.fetch(article_site.url("/loop"))


async def test_at_most_max_redirects(make: MakeRig, article_site: Site) -> None:
    for i in range(7):
        article_site.add_page(f"/r{i}", b"", status=302, headers={"Location": f"/r{i + 1}"})
    article_site.add_page("/r7", article_html())
    rig = make(max_redirects=5)
    page = await rig.fetcher.fetch(article_site.url("/r2"))  # exactly five hops
    assert page.final_url == article_site.url("/r7")
    with pytest.raises(TooManyRedirects, match=r"too many redirects \(more than 5\)"):
        await rig.fetcher.fetch(article_site.url("/r1"))  # six


async def test_a_redirect_without_location_fails(make: MakeRig, article_site: Site) -> None:
    url = article_site.add_page("/nowhere", b"", status=302)
    with pytest.raises(FetchFailed, match="302 without a location"):
        await make().fetcher.fetch(url)


# --- pages that are not articles, or are too much ----------------------------------------


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("/404", PageNotFound, r"the page was not found \(404\)"),
        ("/500", FetchFailed, r"the site answered with an error \(500\)"),
        ("/doc.pdf", NotAnArticle, "that is a PDF, not an article page"),
        ("/image.png", NotAnArticle, "that is an image, not an article page"),
    ],
)
async def test_site_failures_get_specific_answers(
    make: MakeRig, article_site: Site, path: str, error: type[PrismError], message: str
) -> None:
    with pytest.raises(error, match=message):
        await make().fetcher.fetch(article_site.url(path))


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (410, PageNotFound, r"\(410\)"),
        (403, FetchFailed, r"\(403\)"),
        (503, FetchFailed, r"\(503\)"),
    ],
)
async def test_other_statuses(
    make: MakeRig, article_site: Site, status: int, error: type[PrismError], message: str
) -> None:
    url = article_site.add_page("/s", b"nope", status=status)
    with pytest.raises(error, match=message):
        await make().fetcher.fetch(url)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'{"a": 1}', "application/json", "that is JSON data, not an article page"),
        (b"<rss/>", "application/rss+xml", "that is a news feed, not an article page"),
        (b"plain", "text/plain; charset=utf-8", "that is a plain-text file"),
        (b"x", "application/x-weird", r"not an article page \(it is application/x-weird\)"),
        (b"%PDF-1.7 ...", None, "that is a PDF, not an article page"),
        (b"\x89PNG\r\n\x1a\n....", None, "that is an image, not an article page"),
        (b"\x00\x01binary", "application/octet-stream", r"no HTML found"),
    ],
)
async def test_non_html_content_is_not_an_article(
    make: MakeRig, article_site: Site, body: bytes, content_type: str | None, message: str
) -> None:
    url = article_site.add_page("/thing", body, content_type=content_type)
    with pytest.raises(NotAnArticle, match=message):
        await make().fetcher.fetch(url)


async def test_a_50_mb_body_is_cut_off(make: MakeRig, article_site: Site) -> None:
    with pytest.raises(TooLarge, match=r"too large \(over 5 MB\)"):
        await make().fetcher.fetch(article_site.url("/huge"))


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    make: MakeRig, article_site: Site
) -> None:
    with pytest.raises(TooLarge):
        await make().fetcher.fetch(article_site.url("/huge?declare=1"))


async def test_the_cap_is_exact(make: MakeRig, article_site: Site) -> None:
    rig = make(max_bytes=2048)
    fits = article_site.add_page("/fits", b"<p>" + b"x" * (2048 - 3))
    over = article_site.add_page("/over", b"<p>" + b"x" * (2049 - 3))
    assert len((await rig.fetcher.fetch(fits)).body) == 2048
    with pytest.raises(TooLarge):
        await rig.fetcher.fetch(over)


async def test_a_gzip_bomb_is_cut_off_after_decompression(
    make: MakeRig, article_site: Site
) -> None:
    with pytest.raises(TooLarge, match="too large"):
        await make().fetcher.fetch(article_site.url("/bomb"))


async def test_an_unknown_content_encoding_fails(make: MakeRig, article_site: Site) -> None:
    url = article_site.add_page("/br", b"\x1b\x00", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchFailed, match="encoding the bot cannot read"):
        await make().fetcher.fetch(url)


async def test_corrupt_gzip_fails(make: MakeRig, article_site: Site) -> None:
    url = article_site.add_page("/bad", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchFailed, match="corrupt"):
        await make().fetcher.fetch(url)


async def test_a_trickling_server_times_out(make: MakeRig, article_site: Site) -> None:
    rig = make(timeout_s=0.5)
    with pytest.raises(TimedOut, match=r"took too long to answer \(over 0.5 s\)"):
        await rig.fetcher.fetch(article_site.url("/trickle"))  # one byte a second


async def test_a_closed_port_fails_to_connect(make: MakeRig) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchFailed, match="could not connect"):
        await make().fetcher.fetch(f"http://127.0.0.1:{port}/")


# --- concurrency ----------------------------------------------------------------------------


def _gauge(state: dict[str, int]) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.05)
        state["now"] -= 1
        return web.Response(body=article_html(), content_type="text/html")

    return handler


async def test_fetches_per_host_are_bounded(make: MakeRig, article_site: Site) -> None:
    state = {"now": 0, "peak": 0}
    url = article_site.add("/busy", _gauge(state))
    rig = make(per_host_concurrency=2, max_concurrency=10)
    await asyncio.gather(*(rig.fetcher.fetch(url) for _ in range(6)))
    assert state["peak"] == 2
    assert article_site.hits["/busy"] == 6


async def test_fetches_overall_are_bounded(make: MakeRig, article_site: Site) -> None:
    state = {"now": 0, "peak": 0}
    article_site.add("/busy", _gauge(state))
    port = int(article_site.base.rsplit(":", 1)[1])
    names = {f"h{i}.test": ["127.0.0.1"] for i in range(6)}
    rig = make(names=names, per_host_concurrency=2, max_concurrency=3)
    urls = [f"http://{name}:{port}/busy" for name in names]
    await asyncio.gather(*(rig.fetcher.fetch(url) for url in urls))
    assert state["peak"] == 3


# --- TLS: the name is used for SNI and verification, the vetted address for the dial -------


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for news.test (made with the openssl tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=news.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="<p>hi</p>", content_type="text/html")


@pytest.fixture
async def tls_site(certificate: tuple[Path, Path]) -> AsyncIterator[tuple[int, list[str]]]:
    """An HTTPS server with that certificate, recording the SNI names it receives."""
    names: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    context.sni_callback = lambda sock, name, ctx: names.append(name or "")
    app = web.Application()
    app.router.add_get("/", _hello)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    yield runner.addresses[0][1], names
    await runner.cleanup()


async def test_tls_uses_the_name_and_verifies_the_certificate(
    make: MakeRig, tls_site: tuple[int, list[str]]
) -> None:
    port, names = tls_site
    rig = make(names={"news.test": ["127.0.0.1"]})
    with pytest.raises(FetchFailed, match="certificate could not be verified"):
        await rig.fetcher.fetch(f"https://news.test:{port}/")
    assert names == ["news.test"]  # SNI carried the host name
    assert rig.backend.attempts == [("127.0.0.1", port)]  # the dial went to the vetted IP


# --- the fixture pages ---------------------------------------------------------------------


async def test_fixture_pages_arrive_byte_for_byte_with_their_charsets(
    make: MakeRig, article_site: Site
) -> None:
    names = article_site.page_names()
    if not names:
        pytest.skip("no fixture pages yet")
    rig = make()
    charsets = {}
    for name in names:
        page = await rig.fetcher.fetch(article_site.page_url(name))
        assert page.body == (article_site.pages_dir / f"{name}.html").read_bytes()
        assert page.content_type == "text/html"
        declared = article_site.manifest.get(name, {}).get("charset")
        if declared:
            assert page.charset == declared.lower()
        charsets[name] = page.charset
    assert "windows-1251" in charsets.values()  # from the header
    assert "euc-kr" in charsets.values()  # from the <meta> tag only
