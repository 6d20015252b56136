"""CORS as a browser enforces it: the system Chromium opens a page served from another origin
(http://localhost:<port>, a tiny static server) whose script calls the API on
http://127.0.0.1:<port2> with fetch: POSTs with Content-Type: application/json and an
Authorization header (so preflighted), reading X-Request-ID and, from a rate-limited answer,
Retry-After. Allowed origins get the data and the headers; others are blocked by the browser.

The browser reaches loopback only: every other address goes to a proxy that refuses, and
every request it makes is checked. (No Playwright request routing here: with routing on,
Playwright answers CORS preflights itself and the server's answer would go untested.)
"""

import contextlib
import json
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from bookwell.app import create_app
from tests.clients.conftest import ServedApp, live_settings

pytestmark = pytest.mark.clients

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
NOT_LISTED = "https://app.bookwell.example"
WAIT_MS = 20_000

# The page's script: each call's status, the headers it could read, its body, or its error.
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Another origin</title></head>
<body><script type="module">
const params = new URLSearchParams(location.hash.slice(1));
const api = params.get('api');

async function call(body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch(api, { method: 'POST', headers, body: JSON.stringify(body) });
    return {
      status: response.status,
      requestId: response.headers.get('X-Request-ID'),
      retryAfter: response.headers.get('Retry-After'),
      body: await response.json(),
    };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
}

const login = {
  query: 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
  variables: { input: { email: 'nobody@example.com', password: 'wrong-password' } },
};
window.result = {
  me: await call({ query: '{ me { name role } }' }, params.get('token')),
  // The server allows one login a window here: the second is refused with Retry-After.
  firstLogin: await call(login),
  secondLogin: await call(login),
};
</script></body></html>
"""


@pytest.fixture
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    required = ("BOOKWELL_REQUIRE_CLIENTS", "BOOKWELL_REQUIRE_BROWSER")
    if any(os.environ.get(name) == "1" for name in required):
        pytest.fail(f"{reason}, and Chromium is required here", pytrace=False)
    pytest.skip(reason)


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def page_origin() -> Iterator[str]:
    """The page's origin: a static server on its own loopback port, named `localhost`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, name="cors-page", daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def refusing_proxy() -> Iterator[str]:
    """A bound port that accepts nothing: the browser's proxy for every non-loopback address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


@contextlib.asynccontextmanager
async def chromium_browser(executable: Path, proxy: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
        # Loopback goes direct; everything else to a proxy that refuses, and no name but
        # localhost resolves.
        f"--proxy-server={proxy}",
        "--proxy-bypass-list=localhost;127.0.0.1;[::1]",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=args
        )
        try:
            yield browser
        finally:
            await browser.close()


async def visit(browser: Any, page_origin: str, api: str, token: str) -> dict[str, Any]:
    """Opens the page; returns what its script got, the console's messages, every URL the
    browser requested, and the preflights' answers as the browser saw them."""
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    console: list[str] = []
    requested: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("request", lambda request: requested.append(request.url))
    cdp = await page.context.new_cdp_session(page)
    preflights: dict[str, dict[str, Any]] = {}

    def sent(event: dict[str, Any]) -> None:
        requested.append(event["request"]["url"])
        if event.get("type") == "Preflight" or event["initiator"].get("type") == "preflight":
            preflights[event["requestId"]] = {"url": event["request"]["url"]}

    def answered(event: dict[str, Any]) -> None:
        if event["requestId"] in preflights:
            response = event["response"]
            headers = {name.lower(): value for name, value in response["headers"].items()}
            preflights[event["requestId"]].update(status=response["status"], headers=headers)

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", answered)
    await cdp.send("Network.enable")

    await page.goto(f"{page_origin}/#{urlencode({'api': api, 'token': token})}")
    await page.wait_for_function("() => window.result !== undefined")
    result = await page.evaluate("window.result")
    return {
        "result": result,
        "console": console,
        "requested": requested,
        "preflights": list(preflights.values()),
    }


def assert_loopback_only(requested: list[str]) -> None:
    elsewhere = [url for url in requested if urlsplit(url).hostname not in LOOPBACK_HOSTS]
    assert not [url for url in elsewhere if not url.startswith(("about:", "data:"))], elsewhere


CASES = {
    # BOOKWELL_CORS_ORIGINS ("{page}": the page's origin), environment, allowed
    "development-default": (None, "development", True),
    "listed-origin": ("{page}", "production", True),
    "another-origin-listed": (NOT_LISTED, "production", False),
    "production-default": (None, "production", False),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_page_of_another_origin_calls_the_api(
    case: str,
    chromium: Path,
    page_origin: str,
    refusing_proxy: str,
    database_url: str,
    guest_token: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    origins, environment, allowed = CASES[case]
    if origins is None:
        monkeypatch.delenv("BOOKWELL_CORS_ORIGINS", raising=False)
    else:
        monkeypatch.setenv("BOOKWELL_CORS_ORIGINS", origins.format(page=page_origin))
    settings = live_settings(database_url, tmp_path, environment=environment, login_limit_per_ip=1)

    with ServedApp(create_app(settings), name="cors-api") as api:
        async with chromium_browser(chromium, refusing_proxy) as browser:
            seen = await visit(browser, page_origin, api.graphql_url, guest_token)

    result, shown = seen["result"], json.dumps(seen, indent=1)
    (tmp_path / "seen.json").write_text(shown)  # to look at when this fails
    assert_loopback_only(seen["requested"])
    if allowed:
        me = result["me"]
        assert me.get("status") == 200, shown
        assert me["body"] == {"data": {"me": {"name": "Gus Guest", "role": "GUEST"}}}, shown
        assert me["requestId"], f"X-Request-ID is not readable (exposed):\n{shown}"
        assert result["firstLogin"].get("status") == 200, shown
        refused = result["secondLogin"]
        assert refused.get("status") == 429, shown
        assert refused["requestId"], shown
        assert refused["retryAfter"], f"Retry-After is not readable (exposed):\n{shown}"
        # The browser asked first (Authorization and a JSON body are not "simple"), and was
        # told for how long it may skip asking again.
        assert seen["preflights"], f"no preflight seen:\n{shown}"
        for preflight in seen["preflights"]:
            assert preflight.get("status") in (200, 204), shown
            assert int(preflight["headers"].get("access-control-max-age", 0)) > 0, shown
    else:
        for call in ("me", "firstLogin", "secondLogin"):
            assert result[call] == {"error": "TypeError: Failed to fetch"}, shown
        assert any("CORS policy" in line for line in seen["console"]), shown
