"""The bad inputs of the core issue, in one place for the core and every adapter.

Address cases are run with the DEFAULT fetch configuration (no allowed networks), so
every one of them must be refused before any connection; pytest-socket (loopback
only) is the backstop should a check ever fail. Site cases need the local article
site and a configuration that allows it.
"""

from __future__ import annotations

# Not links at all, or links with a scheme we never fetch: answered "not a link".
NOT_LINKS = (
    "hello, is this thing on?",
    "ftp://example.com/report.html",
    "file:///etc/passwd",
    "gopher://example.com/1",
    "javascript:alert(1)",
    "data:text/html,<b>hi</b>",
)

# Addresses that must never be fetched: answered "blocked" (or "not a link").
BLOCKED = (
    "http://127.0.0.1/",
    "http://localhost./",
    "http://[::1]/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://10.0.0.1:6379/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[fe80::1%25eth0]/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://a@evil.example@127.0.0.1/",
)
REFUSED_KINDS = frozenset({"blocked", "not-a-link"})

# Paths on the local article site and the failure kind each must produce.
SITE_FAILURES = (
    ("/404", "not-found"),
    ("/500", "fetch-failed"),
    ("/doc.pdf", "not-an-article"),
    ("/image.png", "not-an-article"),
    ("/empty.html", "not-an-article"),
    ("/huge", "too-large"),
    ("/bomb", "too-large"),
    ("/trickle", "timeout"),
    ("/loop", "redirects"),
)

# Fetch settings for site-failure tests: the trickle times out soon, while a loaded
# machine still has time to read (and refuse) the gzip bomb.
FAST_FETCH = {"allow_networks": ["127.0.0.0/8"], "timeout_s": 3.0}
