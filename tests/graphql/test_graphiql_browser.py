"""GraphiQL in a real headless Chromium against a real uvicorn, with every request that does
not go to loopback refused: the page, its scripts and styles, the README's query over HTTP
and a subscription over graphql-ws all come from Bookwell itself, under its CSP."""

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.graphql.graphiql.page import README_QUERY
from bookwell.graphql.listings.subscriptions import CHANNEL
from bookwell.services.accounts.principal import Principal
from tests.factories import make_listing
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, serving
from tests.support.graphiql_assets import offline, shared_assets_dir
from tests.support.lifespan import StateKept

SUBSCRIPTION = """subscription Watch {
  availabilityChanged(listingId: "%s", startDate: "2027-03-01", endDate: "2027-03-04") {
    freeUnits available
  }
}"""
BOOK = """mutation($input: CreateReservationInput!) {
  createReservation(input: $input) { reservation { id status } errors { code } }
}"""
LOOPBACK = {"127.0.0.1", "localhost"}
# The tab shown below the query editor (the page opens it on Headers).
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"


@pytest.fixture(scope="session")
def graphiql_assets() -> Path:
    return shared_assets_dir()


@pytest.fixture
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("BOOKWELL_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + ", and BOOKWELL_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@dataclass
class Watched:
    """What the page did that it should not have."""

    blocked: list[str] = field(default_factory=list)  # requests off loopback, refused
    failed: list[str] = field(default_factory=list)  # failed requests and 4xx/5xx answers
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions

    def assert_clean(self) -> None:
        assert (self.blocked, self.failed, self.errors) == ([], [], [])


@asynccontextmanager
async def graphiql(chromium: Path, base: str) -> AsyncIterator[tuple[object, Watched]]:
    """A fresh browser page on GraphiQL at `base`, loopback only, watched."""
    from playwright.async_api import async_playwright

    watched = Watched()

    async def loopback_only(route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            await route.continue_()
        else:
            watched.blocked.append(route.request.url)
            await route.abort("blockedbyclient")

    def answered(response) -> None:
        if response.status >= 400:
            watched.failed.append(f"{response.status} {response.url}")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(15_000)
            await page.route("**/*", loopback_only)
            page.on("requestfailed", lambda r: watched.failed.append(f"{r.failure} {r.url}"))
            page.on("response", answered)
            page.on(
                "console",
                lambda m: watched.errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda error: watched.errors.append(str(error)))
            response = await page.goto(f"{base}/graphql")
            assert response is not None and response.status == 200
            assert "script-src 'self'" in response.headers["content-security-policy"]
            yield page, watched
        finally:
            await browser.close()


async def set_editor(page, selector: str, text: str) -> None:
    """Replace an editor's text (GraphiQL 4's editors are CodeMirror 5 instances)."""
    await page.locator(f"{selector} .CodeMirror").first.wait_for()
    await page.evaluate(
        "([selector, text]) => document.querySelector(selector + ' .CodeMirror')"
        ".CodeMirror.setValue(text)",
        [selector, text],
    )


async def run(page) -> None:
    await page.locator(".graphiql-execute-button").click()


async def test_the_readme_query_runs_in_graphiql_with_no_network(
    chromium: Path, settings: Settings, db: Database, host: Principal, graphiql_assets: Path
):
    from playwright.async_api import expect

    await make_listing(db, host, title="Canal Loft", city="Paris", country="FR", units=2)
    app = create_app(offline(settings, graphiql_assets))
    async with serving(app) as base, graphiql(chromium, base) as (page, watched):
        editor = page.locator(".graphiql-query-editor")
        await expect(editor).to_contain_text("searchAvailability")
        await expect(editor).to_contain_text('filter: { city: "Paris" }')
        query = await page.evaluate(
            "() => document.querySelector('.graphiql-query-editor .CodeMirror')"
            ".CodeMirror.getValue()"
        )
        assert query.endswith(README_QUERY)
        await expect(page.get_by_text("Headers", exact=True)).to_be_visible()

        await run(page)
        answer = page.locator(".graphiql-response")
        await expect(answer).to_contain_text('"searchAvailability"')
        await expect(answer).to_contain_text('"totalCount": 1')
        await expect(answer).to_contain_text('"title": "Canal Loft"')
        await expect(answer).to_contain_text('"freeUnits": 2')
        await asyncio.sleep(0.2)  # late console messages, if any
        watched.assert_clean()


async def test_a_subscription_in_graphiql_signs_in_with_the_headers_editor(
    chromium: Path,
    settings: Settings,
    db: Database,
    host: Principal,
    guest_token: str,
    graphiql_assets: Path,
):
    """A private API: anonymous, nothing answers; the token in GraphiQL's headers editor
    goes as the HTTP header, and in connection_init's payload over the websocket."""
    from playwright.async_api import expect

    listing_id = await make_listing(db, host, title="Canal Loft", city="Paris", units=1)
    private = offline(settings, graphiql_assets).model_copy(update={"private_api": True})
    app = StateKept(create_app(private))  # its lifespan state: the listener
    async with serving(app) as base, graphiql(chromium, base) as (page, watched):
        await set_editor(page, HEADERS_EDITOR, f'{{"Authorization": "Bearer {guest_token}"}}')
        await set_editor(page, ".graphiql-query-editor", SUBSCRIPTION % listing_id)
        # GraphiQL has parsed the new document (it sends subscriptions by the websocket).
        await expect(page.locator(".graphiql-tab-active")).to_contain_text("Watch")
        await run(page)
        deadline = time.monotonic() + 15
        while app.listener.subscriber_count(CHANNEL) != 1:
            assert time.monotonic() < deadline, "GraphiQL's subscription did not start"
            await asyncio.sleep(0.05)

        async with httpx.AsyncClient(base_url=base, timeout=15) as http:
            booked = await http.post(
                "/graphql",
                json={
                    "query": BOOK,
                    "variables": {
                        "input": {
                            "listingId": str(listing_id),
                            "startDate": "2027-03-02",
                            "nights": 1,
                        }
                    },
                },
                headers={"Authorization": f"Bearer {guest_token}"},
            )
        assert booked.json()["data"]["createReservation"]["errors"] == [], booked.text

        answer = page.locator(".graphiql-response")
        await expect(answer).to_contain_text('"availabilityChanged"')
        await expect(answer).to_contain_text('"freeUnits": 0')
        await expect(answer).to_contain_text('"available": false')

        await run(page)  # the same button stops it: the websocket closes
        deadline = time.monotonic() + 15
        while app.listener.subscriber_count(CHANNEL) != 0:
            assert time.monotonic() < deadline, "the subscription did not stop"
            await asyncio.sleep(0.05)
        watched.assert_clean()
