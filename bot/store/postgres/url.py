"""PostgreSQL URLs: which ones select the backend, and how to show one without its secret."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SCHEMES = ("postgresql", "postgres")
_QUERY_PASSWORD = re.compile(r"(?i)(\bpassword=)[^&#]*")


def is_postgres_url(url: str) -> bool:
    """True for postgresql:// and postgres:// URLs (what `[storage] url` accepts)."""
    return urlsplit(url).scheme.lower() in SCHEMES


def display_url(url: str) -> str:
    """The URL with any password (user info or ?password=) replaced by ***, for doctor and logs."""
    parts = urlsplit(url)
    parts = parts._replace(query=_QUERY_PASSWORD.sub(r"\1***", parts.query))
    if parts.password is not None:
        user, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}")
    return parts.geturl()


def describe(url: str) -> str:
    """`PostgreSQL host:port/db`, the way doctor names the store (never a password)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"PostgreSQL {host}:{port}{parts.path or '/'}"
