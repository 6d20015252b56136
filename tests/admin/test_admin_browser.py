"""The admin in a real headless Chromium against a real uvicorn: sign in through the form,
open Reservations, search, and check the screenshot shows a page."""

import os
from pathlib import Path

import pytest

from bookwell.app import create_app
from bookwell.core.config import Settings
from tests.admin.conftest import ADMIN_PASSWORD, GUEST_PASSWORD, Seeded
from tests.admin.png import decode
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, serving


@pytest.fixture
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("BOOKWELL_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + ", and BOOKWELL_REQUIRE_BROWSER=1")
    pytest.skip(reason)


async def test_an_admin_searches_reservations_in_a_real_browser(
    chromium: Path, settings: Settings, seeded: Seeded, tmp_path: Path
):
    from playwright.async_api import async_playwright, expect

    async with serving(create_app(settings)) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(10_000)
            await page.goto(f"{base}/admin/reservation/list")
            await expect(page).to_have_url(f"{base}/admin/login")

            await page.get_by_label("Email").fill(seeded.guest_email)
            await page.get_by_label("Password").fill(GUEST_PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("alert")).to_contain_text("not an admin account")

            await page.get_by_label("Email").fill(seeded.admin_email)
            await page.get_by_label("Password").fill(ADMIN_PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page).to_have_url(f"{base}/admin/")
            (cookie,) = [c for c in await page.context.cookies() if c["name"] == "bookwell_admin"]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

            await page.get_by_role("link", name="Reservations").click()
            await expect(page).to_have_url(f"{base}/admin/reservation/list")
            await expect(page.get_by_text("Yannick Ortolan")).to_be_visible()
            await page.locator("#search-input").fill("zelda")
            await page.locator("#search-button").click()
            await expect(page).to_have_url(f"{base}/admin/reservation/list?search=zelda")
            await expect(page.get_by_text("Zelda Quartz")).to_be_visible()
            await expect(page.get_by_text("Yannick Ortolan")).to_have_count(0)

            screenshot = await page.screenshot()
            await page.goto("about:blank")
            blank = await page.screenshot()
        finally:
            await browser.close()

    (tmp_path / "reservations.png").write_bytes(screenshot)  # to look at when this fails
    image = decode(screenshot)
    assert (image.width, image.height) == (VIEWPORT["width"], VIEWPORT["height"])
    assert len(decode(blank).colours()) == 1  # what "nothing rendered" looks like
    # Styled text, a table and a sidebar: far more than a handful of colours.
    assert len(image.colours(step=2)) > 50
    assert screenshot != blank
