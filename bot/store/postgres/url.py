"""PostgreSQL URLs: which ones select the backend, and how to show one without its secret."""

from __future__ import annotations

from urllib.parse import urlsplit

SCHEMES = ("postgresql", "postgres")


def is_postgres_url(url: str) -> bool:
    """True for postgresql:// and postgres:// URLs (what `[storage] url` accepts)."""
    return urlsplit(url).scheme.lower() in SCHEMES


def display_url(url: str) -> str:
    """The URL with any password replaced by ***, for doctor and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return parts._replace(netloc=f"{name}:***@{host}").geturl()


def describe(url: str) -> str:
    """`PostgreSQL host:port/db`, the way doctor names the store (never a password)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"PostgreSQL {host}:{port}{parts.path or '/'}"
