"""The web page of an analysis in a story names the other outlets, escaped, linked only
when their link is http(s)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.config import Config
from bot.permalinks import page_path
from tests.support.browser import LiveSite, start_site


@pytest.fixture
async def site(config: Config) -> AsyncIterator[LiveSite]:
    async for live in start_site(config):
        yield live


async def test_a_story_page_names_the_other_outlets_escaped(site: LiveSite) -> None:
    feeds, now = site.core.store.feeds, datetime.now(UTC)
    story = await feeds.join_story(site.seed.id, None, b"s", now, now)
    await feeds.join_story(site.hostile.id, story, b"h", now, now)
    async with httpx.AsyncClient(base_url=site.url, timeout=5.0) as http:
        page = (await http.get(page_path(site.seed.id, site.seed.headline))).text
        alone = (await http.get(page_path(site.hostile.id, site.hostile.headline))).text
    [line] = [row for row in page.splitlines() if "Also covered by:" in row]
    assert "&lt;i&gt;Evil&lt;/i&gt; Press" in line and "<i>" not in line
    assert "javascript:" not in line  # the hostile source link is not linked
    assert "Also covered by:" in alone  # each member names the others
