"""The site in a real headless browser: Debian's chromium, driven by Playwright."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Dialog, Page, ViewportSize, async_playwright

from bot.config import Config
from bot.permalinks import page_path
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, LiveSite, require_chromium, start_site

pytestmark = pytest.mark.timeout(120)

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture
async def site(config: Config) -> AsyncIterator[LiveSite]:
    async for live in start_site(config):
        yield live


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def _page(browser: Browser, viewport: ViewportSize, dialogs: list[str] | None = None) -> Page:
    """A fresh context at `viewport`; every dialog that opens is recorded in `dialogs`."""
    context = await browser.new_context(viewport=viewport, is_mobile=viewport == PHONE)
    page = await context.new_page()
    seen = dialogs if dialogs is not None else []

    async def record(dialog: Dialog) -> None:
        seen.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", record)
    return page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_the_headline_is_visible_and_the_phone_does_not_scroll_sideways(
    site: LiveSite, browser: Browser, viewport: ViewportSize
) -> None:
    page = await _page(browser, viewport)
    await page.goto(site.url + page_path(site.seed.id, site.seed.headline))
    assert await page.locator("h1").is_visible()
    assert (await page.locator("h1").inner_text()).strip() == site.seed.headline
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await page.context.close()


async def test_the_first_related_link_navigates(site: LiveSite, browser: Browser) -> None:
    page = await _page(browser, DESKTOP)
    await page.goto(f"{site.url}/a/{site.seed.id}")
    link = page.locator(".related a").first
    target = await link.get_attribute("href")
    assert target is not None and target.startswith("/a/")
    await link.click()
    await page.wait_for_url(site.url + target)
    assert await page.locator("h1").is_visible()
    await page.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_no_dialog_fires_on_hostile_pages(
    site: LiveSite, browser: Browser, viewport: ViewportSize
) -> None:
    dialogs: list[str] = []
    page = await _page(browser, viewport, dialogs)
    for path in (f"/a/{site.hostile.id}", "/", "/c/economy", "/search?q=Markup"):
        await page.goto(site.url + path)
        await page.wait_for_load_state("load")
        if path.startswith("/a/"):
            assert "</script>" in await page.locator("h1").inner_text()
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert dialogs == []
    await page.evaluate("alert('control')")  # the recorder does see a dialog that fires
    assert dialogs == ["control"]
    await page.context.close()


async def test_the_thoughts_form_works_without_javascript(site: LiveSite, browser: Browser) -> None:
    context = await browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{site.url}/a/{site.seed.id}")
    await page.locator('button[value="useful"]').click()
    await page.wait_for_url(f"{site.url}/a/{site.seed.id}#thoughts")
    assert (await site.core.thoughts(site.seed.id)).useful == 1
    assert await page.locator('button[value="useful"] .count').inner_text() == "1"
    await context.close()


async def test_phone_screenshot(site: LiveSite, browser: Browser, tmp_path: Path) -> None:
    page = await _page(browser, PHONE)
    await page.goto(site.url + page_path(site.seed.id, site.seed.headline))
    shot = tmp_path / "phone.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000
    await page.context.close()
