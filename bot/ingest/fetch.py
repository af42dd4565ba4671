"""The SSRF-safe fetcher: only public http(s) pages, bounded in size, time and redirects.

Links come from strangers, so the fetcher treats every one as hostile. It resolves the
host itself, refuses any address in an explicit list of non-public ranges (IPv6 forms
that embed an IPv4 address are unwrapped and checked as IPv4), then dials exactly the
address it checked: an httpcore network backend maps the host name to the vetted IP,
so there is no second DNS lookup to rebind, while the Host header, TLS SNI and
certificate checks still use the name. Every redirect hop goes through the same gate.
The body is read raw and decompressed here, a bounded slice at a time, so a gzip bomb
costs at most `max_bytes` of memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import certifi
import httpcore
import httpx

from bot.config import FetchConfig
from bot.errors import (
    BlockedAddress,
    FetchFailed,
    NotALink,
    NotAnArticle,
    PageNotFound,
    TimedOut,
    TooLarge,
    TooManyRedirects,
)
from bot.ingest.links import ParsedUrl, parse_url
from bot.models import Page
from bot.ports import HostResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Explicit lists on purpose: ipaddress.is_private / is_global vary by Python release.
BLOCKED_V4: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "reserved"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),  # before 240/4, which also holds it
    ("240.0.0.0/4", "reserved"),
)
BLOCKED_V6: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
    ("2001:db8::/32", "documentation"),
    ("100::/64", "discard-only"),
    ("2001::/23", "reserved"),  # IETF protocol assignments, Teredo 2001::/32 included
    ("64:ff9b:1::/48", "local-use NAT64"),
)
_V4_NETS = tuple((ipaddress.IPv4Network(net), why) for net, why in BLOCKED_V4)
_V6_NETS = tuple((ipaddress.IPv6Network(net), why) for net, why in BLOCKED_V6)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024

# The address this task checked for (host, port); the network backend dials only that.
_PINNED: ContextVar[tuple[str, int, str] | None] = ContextVar("prism_fetch_pin", default=None)


class SystemResolver:
    """The operating system's resolver, off the event loop (loop.getaddrinfo)."""

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address of `host`, from the operating system."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise FetchFailed("the site's name could not be resolved") from None
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


# --- the address gate --------------------------------------------------------------------


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """`[fetch] allow_networks` as network objects (config validation already ran)."""
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries: mapped, compatible, NAT64, 6to4, Teredo."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _COMPATIBLE or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def blocked_reason(ip: IPAddress, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why `ip` may not be fetched ("loopback", "private", …), or None when it may."""
    if _allowed(ip, allow):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(ip.compressed.split("%", 1)[0])
        for net6, why in _V6_NETS:
            if ip in net6:
                return why
        inner = embedded_ipv4(ip)
        if inner is None:
            return None
        if _allowed(inner, allow):
            return None
        ip = inner
    for net4, why in _V4_NETS:
        if ip in net4:
            return why
    return None


def _allowed(ip: IPAddress, allow: Sequence[IPNetwork]) -> bool:
    return any(ip.version == net.version and ip in net for net in allow)


def check_address(ip: IPAddress | str, allow: Sequence[IPNetwork] = ()) -> IPAddress:
    """The address, if it may be fetched; BlockedAddress (never naming the IP) if not."""
    try:
        address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        raise FetchFailed("the site's name resolved to something that is not an address") from None
    reason = blocked_reason(address, allow)
    if reason is not None:
        raise BlockedAddress(
            f"that link leads to a {reason} address; only public web sites are fetched"
        )
    return address


# --- dialling only what was checked ------------------------------------------------------


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Dials the vetted address for the host being fetched, and nothing else."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Dial the pinned address, only for the host and port it was vetted for."""
        pin = _PINNED.get()
        if pin is None or (pin[0], pin[1]) != (host, port):
            raise httpcore.ConnectError("refusing to dial an address that was not checked")
        return await self._inner.connect_tcp(
            pin[2], port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )  # fmt: skip

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refused: a unix socket is never fetched."""
        raise httpcore.ConnectError("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        """The inner backend's sleep."""
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore pool we build, whose backend is PinnedBackend.

    Only public interfaces: httpx.AsyncBaseTransport / AsyncByteStream / Response and
    httpcore.AsyncConnectionPool / Request / URL and its exceptions; they hold for
    httpx >=0.27,<1 and httpcore >=1.0,<2, the bounds to declare for both. No proxy
    is ever used: it would dial an address we did not check.
    """

    def __init__(self, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        context = ssl.create_default_context(cafile=certifi.where())
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=PinnedBackend(backend),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the pinned pool; httpcore's errors become httpx's."""
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=_body(request),
            extensions=request.extensions,
        )
        with _httpx_errors(request):
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseBody(response, request),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._pool.aclose()


class _ResponseBody(httpx.AsyncByteStream):
    """httpcore's response body as httpx reads it, with errors translated."""

    def __init__(self, response: httpcore.Response, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors(self._request):
            async for chunk in self._response.aiter_stream():
                yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()


async def _body(request: httpx.Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream:  # type: ignore[union-attr]  # always async here
        yield chunk


# httpcore's transport errors and the httpx ones that callers catch, most specific first.
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.ProxyError, httpx.ProxyError),
)


@contextlib.contextmanager
def _httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise httpcore's exceptions as the matching httpx ones (cause kept)."""
    try:
        yield
    except Exception as exc:
        for core_error, httpx_error in _ERRORS:
            if isinstance(exc, core_error):
                raise httpx_error(str(exc) or type(exc).__name__, request=request) from exc
        raise


# --- the fetcher --------------------------------------------------------------------------


class Fetcher:
    """Fetches one public HTML page: `await fetcher.fetch(url) -> Page`."""

    def __init__(
        self,
        config: FetchConfig,
        *,
        resolver: HostResolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        """`transport` replaces the pinned one (tests only); `network_backend` sits under it."""
        self.config = config
        self._allow = parse_networks(config.allow_networks)
        self._resolver: HostResolver = resolver or SystemResolver()
        self._client = httpx.AsyncClient(
            transport=transport or PinnedTransport(network_backend),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(config.timeout_s),
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # per fetch
            headers={
                "User-Agent": config.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                "Accept-Encoding": "gzip, deflate",
            },
        )
        self._all = asyncio.Semaphore(config.max_concurrency)
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}

    async def aclose(self) -> None:
        """Close the HTTP client and its connection pool."""
        await self._client.aclose()

    async def fetch(self, url: str) -> Page:
        """The page at `url` after redirects, as raw bytes; a PrismError when refused."""
        first = parse_url(url)
        async with self._all, self._host_slot(first.host):
            try:
                async with asyncio.timeout(self.config.timeout_s):
                    return await self._follow(url, first)
            except TimeoutError:
                raise TimedOut(self._too_slow()) from None
            except httpx.TimeoutException:
                raise TimedOut(self._too_slow()) from None
            except httpx.TransportError as exc:
                raise FetchFailed(_transport_failure(exc)) from None

    def _too_slow(self) -> str:
        return f"the site took too long to answer (over {self.config.timeout_s:g} s)"

    @contextlib.asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        """At most `per_host_concurrency` fetches per host; idle semaphores are dropped."""
        entry = self._hosts.get(host)
        semaphore, users = entry or (asyncio.Semaphore(self.config.per_host_concurrency), 0)
        self._hosts[host] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._hosts[host]
            if users <= 1:
                del self._hosts[host]
            else:
                self._hosts[host] = (semaphore, users - 1)

    async def _follow(self, url: str, target: ParsedUrl) -> Page:
        """Request, re-checking every hop; stop at the first non-redirect answer."""
        seen = {target.url}
        cookies = httpx.Cookies()
        for _ in range(self.config.max_redirects + 1):
            address = await self._vet(target)
            token = _PINNED.set((target.host, target.port, address))
            try:
                request = self._client.build_request("GET", target.url, cookies=cookies)
                response = await self._client.send(request, stream=True)
                try:
                    cookies.extract_cookies(response)
                    location = _redirect_location(response)
                    if location is None:
                        return await self._page(url, target, response)
                finally:
                    await response.aclose()
            finally:
                _PINNED.reset(token)
            target = _next_hop(target, location)
            if target.url in seen:
                raise TooManyRedirects("the page redirects in a loop")
            seen.add(target.url)
        raise TooManyRedirects(f"too many redirects (more than {self.config.max_redirects})")

    async def _vet(self, target: ParsedUrl) -> str:
        """Resolve (unless numeric) and check every address; the first one is dialled."""
        if target.ip is not None:
            return str(check_address(target.ip, self._allow))
        addresses = await self._resolver.resolve(target.host, target.port)
        if not addresses:
            raise FetchFailed("the site's name could not be resolved")
        checked = [check_address(a, self._allow) for a in addresses]
        return str(checked[0]).split("%", 1)[0]

    async def _page(self, url: str, target: ParsedUrl, response: httpx.Response) -> Page:
        _check_status(response.status_code)
        content_type = response.headers.get("content-type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime and mime not in HTML_TYPES and mime != "application/octet-stream":
            raise NotAnArticle(describe_type(mime))
        self._check_length(response)
        body = await self._read(response)
        if mime not in HTML_TYPES:
            mime = sniff(body)
        return Page(
            url=url,
            final_url=target.url,
            status=response.status_code,
            content_type=mime,
            charset=header_charset(content_type) or meta_charset(body),
            body=body,
        )

    def _check_length(self, response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.config.max_bytes:
            raise TooLarge(self._too_large())

    def _too_large(self) -> str:
        return f"the page is too large (over {self.config.max_bytes // 1_000_000 or 1} MB)"

    async def _read(self, response: httpx.Response) -> bytes:
        """The decompressed body, refused as soon as it passes `max_bytes`."""
        limit = self.config.max_bytes
        decoder = _Decoder(response.headers.get("content-encoding", ""), limit)
        parts: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw(_CHUNK):
            for chunk in decoder.feed(raw):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(self._too_large())
                parts.append(chunk)
        tail = decoder.finish()
        if size + len(tail) > limit:
            raise TooLarge(self._too_large())
        return b"".join([*parts, tail])

    # --- feeds: conditional GET, the answer's caching headers kept -----------------------

    async def fetch_feed(self, url: str, etag: str = "", last_modified: str = "") -> FeedResponse:
        """A feed document by conditional GET, through the same gate, caps and timeout.

        200 carries the body; 304 (not modified), 410 (gone), 429 and 503 (come back
        later) are answers, not errors, so the poller can act on them; anything else
        raises the usual PrismError.
        """
        first = parse_url(url)
        async with self._all, self._host_slot(first.host):
            try:
                async with asyncio.timeout(self.config.timeout_s):
                    return await self._follow_feed(url, first, etag, last_modified)
            except (TimeoutError, httpx.TimeoutException):
                raise TimedOut(self._too_slow()) from None
            except httpx.TransportError as exc:
                raise FetchFailed(_transport_failure(exc)) from None

    async def _follow_feed(
        self, url: str, target: ParsedUrl, etag: str, last_modified: str
    ) -> FeedResponse:
        headers = {"Accept": FEED_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = {target.url}
        for _ in range(self.config.max_redirects + 1):
            address = await self._vet(target)
            token = _PINNED.set((target.host, target.port, address))
            try:
                request = self._client.build_request("GET", target.url, headers=headers)
                response = await self._client.send(request, stream=True)
                try:
                    location = _redirect_location(response)
                    if location is None:
                        return await self._feed_answer(url, target, response)
                finally:
                    await response.aclose()
            finally:
                _PINNED.reset(token)
            target = _next_hop(target, location)
            if target.url in seen:
                raise TooManyRedirects("the feed redirects in a loop")
            seen.add(target.url)
        raise TooManyRedirects(f"too many redirects (more than {self.config.max_redirects})")

    async def _feed_answer(
        self, url: str, target: ParsedUrl, response: httpx.Response
    ) -> FeedResponse:
        status = response.status_code
        if status not in FEED_ANSWERS:
            _check_status(status)
        body = b""
        if status == 200:
            self._check_length(response)
            body = await self._read(response)
        get = response.headers.get
        return FeedResponse(
            url=url,
            final_url=target.url,
            status=status,
            content_type=str(get("content-type", "")),
            body=body,
            etag=str(get("etag", ""))[:500],
            last_modified=str(get("last-modified", ""))[:100],
            cache_control=str(get("cache-control", "")),
            retry_after=str(get("retry-after", "")),
            expires=str(get("expires", "")),
        )


FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1"
)
FEED_ANSWERS = frozenset({200, 304, 410, 429, 503})


@dataclass(frozen=True, slots=True)
class FeedResponse:
    """A feed fetch's answer: the status, the body (200 only) and the caching headers."""

    url: str
    final_url: str
    status: int  # 200, 304, 410, 429 or 503
    content_type: str
    body: bytes
    etag: str
    last_modified: str
    cache_control: str
    retry_after: str
    expires: str


class _Decoder:
    """Content-Encoding undone in slices no bigger than the remaining budget."""

    def __init__(self, encoding: str, limit: int) -> None:
        name = encoding.strip().lower()
        self._limit = limit
        self._zlib: zlib._Decompress | None
        if name in ("", "identity"):
            self._zlib = None
        elif name in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise FetchFailed("the site sent the page in an encoding the bot cannot read")

    def feed(self, data: bytes) -> Iterable[bytes]:
        if self._zlib is None:
            yield data
            return
        try:
            chunk = self._zlib.decompress(data, self._limit + 1)
            while chunk:
                yield chunk  # the caller stops us once the budget is spent
                chunk = self._zlib.decompress(self._zlib.unconsumed_tail, self._limit + 1)
        except zlib.error:
            raise FetchFailed("the page's compressed data is corrupt") from None

    def finish(self) -> bytes:
        """Whatever the decompressor still holds (bounded by the budget)."""
        if self._zlib is None:
            return b""
        try:
            return self._zlib.flush(self._limit + 1)
        except zlib.error:
            raise FetchFailed("the page's compressed data is corrupt") from None


def _transport_failure(exc: BaseException) -> str:
    """A one-line answer for a connection failure; certificate trouble is named."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return "the site's security certificate could not be verified"
        if isinstance(seen, ssl.SSLError):
            return "a secure connection to the site could not be made"
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, httpx.ConnectError):
        return "could not connect to the site"
    return "the connection to the site failed"


def _redirect_location(response: httpx.Response) -> str | None:
    if response.status_code not in REDIRECTS:
        return None
    location = str(response.headers.get("location", ""))
    if not location:
        raise FetchFailed(f"the site answered {response.status_code} without a location")
    return location


def _next_hop(current: ParsedUrl, location: str) -> ParsedUrl:
    try:
        joined = str(httpx.URL(current.url).join(location))
    except httpx.InvalidURL:
        raise NotALink("the page redirects to an invalid link") from None
    return parse_url(joined)


def _check_status(status: int) -> None:
    if status in (404, 410):
        raise PageNotFound(f"the page was not found ({status})")
    if status >= 300:
        raise FetchFailed(f"the site answered with an error ({status})")


# --- content type and charset ------------------------------------------------------------

_TYPE_NAMES = (
    ("application/pdf", "a PDF"),
    ("image/", "an image"),
    ("video/", "a video"),
    ("audio/", "an audio file"),
    ("application/json", "JSON data"),
    ("text/plain", "a plain-text file"),
    ("application/rss+xml", "a news feed"),
    ("application/atom+xml", "a news feed"),
    ("application/xml", "an XML document"),
    ("text/xml", "an XML document"),
    ("text/css", "a style sheet"),
    ("application/javascript", "a script"),
    ("text/javascript", "a script"),
    ("application/zip", "a download"),
    ("application/msword", "a document"),
    ("application/vnd.", "a document"),
)


def describe_type(mime: str) -> str:
    """'that is a PDF, not an article page' and friends, for a non-HTML content type."""
    for prefix, name in _TYPE_NAMES:
        if mime.startswith(prefix):
            return f"that is {name}, not an article page"
    safe = re.sub(r"[^a-z0-9.+/-]", "", mime)[:60]
    return f"that is not an article page (it is {safe or 'an unknown type'})"


_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
)
_HTML_START = re.compile(rb"\s*(?:<!doctype\s+html|<html|<head|<body|<!--|<meta|<title|<p\b)", re.I)


def sniff(body: bytes) -> str:
    """The content type of an untyped body: HTML if it starts like HTML, else refused."""
    head = body[:1024].removeprefix(b"\xef\xbb\xbf")
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            raise NotAnArticle(describe_type(mime))
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise NotAnArticle(describe_type("image/webp"))
    if _HTML_START.match(head):
        return "text/html"
    raise NotAnArticle("that is not an article page (no HTML found)")


_META_CHARSET = re.compile(rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I)


def header_charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, lower-cased."""
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1).lower() if match else None


def meta_charset(body: bytes) -> str | None:
    """A BOM, or an early <meta charset> / http-equiv Content-Type, lower-cased."""
    if body.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else None
