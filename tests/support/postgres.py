"""The PostgreSQL test server: a fresh schema per test, skipped (or failed) without one.

The server is `TEST_POSTGRES_URL` (default postgresql://postgres@127.0.0.1:5432/test).
Without an answering server the PostgreSQL tests are skipped and the summary says why;
with REQUIRE_POSTGRES=1 (as .ci/run sets) they fail instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import NoReturn

import pytest

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
_SKIPPED = "PostgreSQL tests skipped"


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The server's URL, once it has answered a query (or skip / fail, saying why)."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_URL)
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (pip install '.[postgres]')")
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        _unavailable(f"no PostgreSQL server answers at {url}: {str(exc).strip().splitlines()[0]}")
    return url


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(f"{_SKIPPED}: {reason} (set REQUIRE_POSTGRES=1 to fail instead)")


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A URL whose search_path is a new, empty schema, dropped after the test.

    A schema per test keeps parallel workers apart at a fraction of a database's cost.
    """
    import psycopg

    schema = f"prism_t_{secrets.token_hex(6)}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in pg_server else "?"
    yield f"{pg_server}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say once, in the summary, that (and why) the PostgreSQL tests were skipped."""
    reasons = set()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple) and _SKIPPED in str(longrepr[2]):
            reasons.add(str(longrepr[2]).removeprefix("Skipped: "))
    for reason in sorted(reasons):
        terminalreporter.write_line(reason, yellow=True)
