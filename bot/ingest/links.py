"""Finding links in chat messages and reducing them to one canonical form (pure, no I/O).

The canonical URL is the key an article is stored under, so two people sharing the
same story with different tracking tags, fragments or letter case get the same
analysis. `parse_url` is the stricter half the fetcher relies on: it refuses what a
browser would not fetch as a plain web page and spells numeric hosts
(`2130706433`, `0x7f.1`) the way a browser would reach them, so the address check
sees the real target.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

import idna

from bot.errors import NotALink

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query keys that only say where a click came from; removing them never changes the page.
TRACKING_KEYS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src",
        "ref_url", "li_fat_id", "mkt_tok", "_hsenc", "_hsmi", "hsctatracking",
        "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "wickedid", "_openstat",
        "rb_clickid", "s_kwcid", "srsltid", "cmpid", "ncid", "sr_share",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_CHARS = r"A-Za-z0-9\-._~!$&'()*+,;=:@/"
_PATH_SAFE = re.compile(f"[{_PATH_CHARS}]*")  # already canonical: no escapes at all
_QUERY_SAFE = re.compile(f"[{_PATH_CHARS}?]*")
_UNSAFE_OR_STRAY_PCT = {
    _PATH_SAFE: re.compile(f"[^{_PATH_CHARS}%]|%(?![0-9A-Fa-f]{{2}})"),
    _QUERY_SAFE: re.compile(f"[^{_PATH_CHARS}?%]|%(?![0-9A-Fa-f]{{2}})"),
}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\t\r\n]")
_AUTHORITY_END = re.compile(r"[/?]")

# A link-looking token: a scheme we recognise (so a typed ftp:// link gets a precise
# answer), or a bare www. host. Stops at whitespace and at characters never in URLs.
_LINK_RE = re.compile(
    r"""(?<![\w@.])(?:
        (?:https?|ftps?|sftp|file|gopher|wss?|smb|ssh|telnet)://[^\s<>"']+
      | (?:javascript|vbscript|data):[^\s<>"']+
      | www\d{0,3}\.[\w-]+\.[^\s<>"']+
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING = ".,;:!?'\"*_~)]}>»…。，、；：！？」』）】"
_PAIRS = {")": "(", "]": "[", "}": "{"}
NOT_A_LINK = "that is not a link: send a web address such as https://example.com/news"
OTHER_SCHEMES = frozenset({"javascript", "vbscript", "data", "mailto", "tel", "about", "blob"})
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,20}):")
_HOST_RE = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """An http(s) URL taken apart: ASCII host (no brackets), explicit port, target."""

    scheme: str
    host: str
    port: int
    path: str  # percent-normalised, never empty
    query: str  # percent-normalised, without the "?"
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None  # set when the host is numeric

    @property
    def netloc(self) -> str:
        """host[:port] as it appears in the URL (brackets for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The fetchable form: normalised, no fragment, query untouched apart from encoding."""
        query = f"?{self.query}" if self.query else ""
        return f"{self.scheme}://{self.netloc}{self.path}{query}"


def find_links(text: str) -> list[str]:
    """Every link-looking token in free text, in order, without duplicates.

    Bare `www.` hosts become https links; non-http schemes are kept so the caller can
    answer precisely that only http and https are supported.
    """
    found: list[str] = []
    seen: set[str] = set()
    for match in _LINK_RE.finditer(text):
        link = _trim(match.group(0))
        if link.lower().startswith("www"):
            link = "https://" + link
        try:
            key = canonicalize(link)
        except NotALink:
            key = link
        if key not in seen:
            seen.add(key)
            found.append(link)
    return found


def _trim(link: str) -> str:
    """Drop trailing punctuation, but keep a closing bracket that closes one in the link."""
    while link and link[-1] in _TRAILING:
        last = link[-1]
        opener = _PAIRS.get(last)
        if opener is not None and link.count(opener) >= link.count(last):
            break
        link = link[:-1]
    return link


def canonicalize(url: str) -> str:
    """The key an article is stored under (DESIGN.md "Data"); raises NotALink."""
    parsed = parse_url(url)
    query = _clean_query(parsed.query)
    return f"{parsed.scheme}://{parsed.netloc}{parsed.path}" + (f"?{query}" if query else "")


def parse_url(url: str) -> ParsedUrl:
    """Validate and normalise an http(s) URL, or raise NotALink with a specific reason."""
    text = _CONTROL.sub("", url.strip())
    if len(text) > MAX_URL_LENGTH:
        raise NotALink(f"that link is too long (over {MAX_URL_LENGTH} characters)")
    if text[:4].lower() == "www." and "://" not in text:
        text = "https://" + text
    scheme = _scheme(text)
    if scheme not in DEFAULT_PORTS:
        raise NotALink(f"only http and https links are supported, not {scheme}:")
    rest = text[len(scheme) + 1 :]
    if not rest.startswith("//"):
        raise NotALink(NOT_A_LINK)
    rest = rest[2:].split("#", 1)[0]
    authority, query = _AUTHORITY_END.split(rest, maxsplit=1)[0], ""
    target = rest[len(authority) :]
    if "?" in target:
        target, query = target.split("?", 1)
    if "@" in authority:
        raise NotALink("links with a user name or password (user@host) are not supported")
    host, ip, port = _parse_authority(authority, scheme)
    return ParsedUrl(
        scheme=scheme,
        host=host,
        port=port,
        path=_normalize_path(target),
        query=_normalize_pct(query, _QUERY_SAFE),
        ip=ip,
    )


def _scheme(text: str) -> str:
    """The lower-cased scheme of a URL-looking text; NotALink when it has none."""
    match = _SCHEME_RE.match(text)
    if match is None:
        raise NotALink(NOT_A_LINK)
    scheme = match.group(1).lower()
    if text[match.end() : match.end() + 2] != "//" and scheme not in OTHER_SCHEMES:
        raise NotALink(NOT_A_LINK)  # "example.com:8080", "note: ..." are not schemes
    return scheme


def _parse_authority(
    authority: str, scheme: str
) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address | None, int]:
    """Host (ASCII, lower-case, numeric spellings resolved) and port of `host[:port]`."""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise NotALink("that link's IPv6 address is not closed with ]")
        raw_host, port_text = authority[1:end], authority[end + 1 :]
        if port_text and not port_text.startswith(":"):
            raise NotALink("that link's host name is not valid")
        v6 = _parse_ipv6(raw_host)
        return v6.compressed, v6, _parse_port(port_text[1:], scheme)
    raw_host, _, port_text = authority.partition(":")
    if not raw_host:
        raise NotALink("that link has no host name")
    host = _normalize_host(raw_host)
    v4 = parse_ipv4(host)
    if v4 is not None:
        return str(v4), v4, _parse_port(port_text, scheme)
    return host, None, _parse_port(port_text, scheme)


def _parse_ipv6(text: str) -> ipaddress.IPv6Address:
    if "%" in text:
        raise NotALink("links with an IPv6 zone (%) are not supported")
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        raise NotALink("that link's IPv6 address is not valid") from None


def _parse_port(text: str, scheme: str) -> int:
    if not text:
        return DEFAULT_PORTS[scheme]
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        raise NotALink("that link's port is not valid")
    return int(text)


@functools.lru_cache(maxsize=4096)  # pure; IDNA encoding is slow and hosts repeat
def _normalize_host(raw: str) -> str:
    """Percent-decoded, IDNA-encoded, lower-cased, without a trailing dot."""
    try:
        host = unquote(raw, errors="strict").rstrip(".")
    except UnicodeDecodeError:
        raise NotALink("that link's host name is not valid") from None
    if not host:
        raise NotALink("that link has no host name")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise NotALink("that link's host name is not valid") from None
    host = host.lower()
    if len(host) > 253 or not _HOST_RE.fullmatch(host):
        raise NotALink("that link's host name is not valid")
    return host


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads in `host` (WHATWG rules), None for a name.

    Accepts 1 to 4 parts in decimal, octal (leading 0) or hex (0x): `127.1`,
    `0x7f000001`, `017700000001`, `2130706433`. A host ending in a number that is not
    a valid address is refused rather than sent to DNS.
    """
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not _is_number(parts[-1]):
        return None
    values = [_ipv4_part(p) for p in parts]
    if len(values) > 4 or any(v is None for v in values):
        raise NotALink("that link's numeric address is not valid")
    numbers = [v for v in values if v is not None]
    *head, last = numbers
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(numbers)):
        raise NotALink("that link's numeric address is not valid")
    value = last
    for index, part in enumerate(head):
        value += part << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _is_number(part: str) -> bool:
    return bool(re.fullmatch(r"\d+|0[xX][0-9a-fA-F]*", part))


def _ipv4_part(part: str) -> int | None:
    if re.fullmatch(r"0[xX][0-9a-fA-F]*", part):
        return int(part[2:] or "0", 16)
    if re.fullmatch(r"0[0-7]+", part):
        return int(part, 8)
    if re.fullmatch(r"\d+", part) and not re.fullmatch(r"0\d+", part):
        return int(part)
    return None


def _normalize_path(path: str) -> str:
    if not path:
        return "/"
    return _remove_dot_segments(_normalize_pct(path, _PATH_SAFE))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4: `/a/./b/../c` -> `/a/c`, keeping a trailing slash as it was."""
    if "/." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments[1:], start=1):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
        elif segment == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def _normalize_pct(text: str, safe: re.Pattern[str]) -> str:
    """Upper-case %XX escapes, decode unreserved ones, escape what may not appear raw."""
    if safe.fullmatch(text):
        return text  # the common case: nothing to do
    text = _UNSAFE_OR_STRAY_PCT[safe].sub(_escape, text)
    return _ESCAPE.sub(_normalize_escape, text)


def _escape(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))


def _normalize_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else match.group(0).upper()


def _clean_query(query: str) -> str:
    """Drop tracking keys and empty pairs; sort by key, keeping repeated keys in order."""
    pairs = [pair for pair in query.split("&") if pair]
    kept = [pair for pair in pairs if not _is_tracking(_query_key(pair))]
    return "&".join(sorted(kept, key=_query_key))


def _query_key(pair: str) -> str:
    return pair.split("=", 1)[0]


def _is_tracking(key: str) -> bool:
    folded = (unquote(key, errors="replace") if "%" in key else key).lower()
    return folded in TRACKING_KEYS or folded.startswith(TRACKING_PREFIXES)
