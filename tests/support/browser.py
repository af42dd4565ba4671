"""The site under test: a real core with seeds and hostile analyses, served on port 0,
and the headless Chromium (Debian's, driven by Playwright) that reads it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.web import WebAdapter
from bot.config import Config
from bot.core import Core
from bot.models import Analysis, Article, Draft, Generator, Section

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

HOSTILE_HEADLINE = '</script><script>alert("h1")</script> Markup & <b>bold</b> @everyone'
HOSTILE_DEK = (
    "A lead with <img src=x onerror=alert('dek')> and </script><script>alert(1)</script> "
    "and @everyone in it. Second sentence."
)
HOSTILE_SOURCE = "javascript:alert('source')"


def hostile_article(n: int, url: str = HOSTILE_SOURCE) -> Article:
    """An article whose URL is a `javascript:` link and whose text holds markup."""
    return Article(
        url=url,
        canonical_url=url,
        title=f"<script>alert('title {n}')</script>",
        text="Text of a hostile page. " * 40,
        words=200,
        site="<i>Evil</i> Press",
        language="en",
    )


def hostile_draft(headline: str = HOSTILE_HEADLINE) -> Draft:
    """An analysis whose every string tries to break out of its HTML context."""
    return Draft(
        headline=headline,
        dek=HOSTILE_DEK,
        category="Economy",
        sections=(
            Section('<h2 onclick="alert(2)">Heading</h2>', ("<script>alert(3)</script>",)),
            Section("What it means", ('"><svg onload=alert(4)>', "javascript:alert(5)")),
        ),
        tags=("norland", "rates", "economy"),
        language="en",
        generator=Generator("claude", "<model>", "v1<script>"),
    )


@dataclass
class LiveSite:
    """A running site and what it holds."""

    adapter: WebAdapter
    core: Core
    hostile: Analysis
    seed: Analysis

    @property
    def url(self) -> str:
        """The site's root, without a trailing slash."""
        return self.adapter.url


async def start_site(config: Config, **web: object) -> AsyncIterator[LiveSite]:
    """Seeds plus one hostile analysis, the site on 127.0.0.1 port 0."""
    config = config.with_overrides(web={"port": 0, "posts_per_minute": 5, **web})
    core = await Core.open(config)
    try:
        await core.import_seeds()
        hostile = await core.store.analyses.save(
            hostile_article(1), hostile_draft(), created_at=datetime.now(UTC) - timedelta(days=1)
        )
        seed = next(a for a in await core.recent(50) if a.id != hostile.id)
        async with WebAdapter(config, core) as adapter:
            yield LiveSite(adapter, core, hostile, seed)
    finally:
        await core.aclose()


def require_chromium() -> None:
    """Skip with a clear reason without Debian's chromium; fail under REQUIRE_BROWSER=1."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: apt-get install chromium chromium-driver"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)
