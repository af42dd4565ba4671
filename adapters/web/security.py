"""What keeps the site safe by construction: headers, form tokens, a POST rate limit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from aiohttp import web

# No inline script anywhere (there is no script at all); styles only from our stylesheet.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
TOKEN_WINDOW_S = 12 * 3600  # a form's token is accepted for one to two windows

R = TypeVar("R", bound=web.StreamResponse)


def add_headers(response: R) -> R:
    """Every response, errors included, carries the CSP and nosniff headers."""
    response.headers.update(HEADERS)
    return response


def safe_url(url: str | None) -> str | None:
    """`url` if it is an http(s) link with a host, else None: no `javascript:` hrefs."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


class FormSigner:
    """Signs the Thoughts form per analysis and time window, so a forged POST fails.

    The token holds no reader: pages stay the same for everyone (cacheable); the
    reader cookie (SameSite=Strict) is what a cross-site form cannot send along.
    """

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._key = (secret or secrets.token_hex(32)).encode()
        self._clock = clock

    def token(self, analysis_id: int) -> str:
        """The token the page's form carries."""
        return self._sign(analysis_id, int(self._clock() // TOKEN_WINDOW_S))

    def valid(self, analysis_id: int, token: str) -> bool:
        """True for this window's token or the previous one's."""
        window = int(self._clock() // TOKEN_WINDOW_S)
        return any(
            hmac.compare_digest(self._sign(analysis_id, w), token) for w in (window, window - 1)
        )

    def _sign(self, analysis_id: int, window: int) -> str:
        message = f"thoughts:{analysis_id}:{window}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]


class RateLimiter:
    """At most `limit` events per client per `period_s`; remembers a bounded set of clients."""

    def __init__(
        self,
        limit: int,
        period_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.limit = limit
        self.period_s = period_s
        self._clock = clock
        self._max_clients = max_clients
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, client: str) -> bool:
        """Count one event for `client`; False when it is over the limit."""
        now = self._clock()
        stamps = self._seen.pop(client, None) or deque()
        while stamps and stamps[0] <= now - self.period_s:
            stamps.popleft()
        allowed = len(stamps) < self.limit
        if allowed:
            stamps.append(now)
        self._seen[client] = stamps
        while len(self._seen) > self._max_clients:
            self._seen.popitem(last=False)
        return allowed
