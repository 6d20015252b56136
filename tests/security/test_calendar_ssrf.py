"""SSRF through a calendar URL: a host may not make the server fetch from its own network
(cloud metadata, admin ports). Every connection, redirects included, goes to an address that
was checked to be public, and to that very address: a DNS answer that changes between the
check and the connection (rebinding) changes nothing. The whole fetch has a time limit, and
what comes back a size limit. Served by a real local HTTP server. (Odd URLs:
test_malformed_input.py; decompression bombs: test_calendar_decompression_bomb.py; addresses
embedding IPv4: test_calendar_ssrf_embedded_ipv4.py.)"""

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bookwell.core.errors import DomainError
from bookwell.services.calendar import fetch as calendar_fetch
from bookwell.services.calendar.fetch import PinnedBackend, fetch_calendar
from tests.calendar.calendars import FIXTURES, blocks, paris_listing, run_import


class _CalendarServer(SimpleHTTPRequestHandler):
    """The fixture calendars, a page that is not a calendar, one too large, one that comes
    a byte at a time, and a redirect to `inside.invalid`. Records the Host headers."""

    hosts: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(FIXTURES), **kwargs)

    def do_GET(self) -> None:
        self.hosts.append(self.headers["Host"])
        if self.path == "/slow.ics":
            self.send_response(200)
            self.end_headers()
            for _ in range(100):  # 20 s at most; each byte well within a read's timeout
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.2)
            return
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", f"http://inside.invalid:{self.server.server_port}/")
            self.end_headers()
            return
        if self.path in ("/huge.ics", "/page.html"):
            body = (
                b"BEGIN:VCALENDAR\r\n" + b"X" * (3 * 1024 * 1024)
                if "huge" in self.path
                else b"<html>Hi</html>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()  # no Content-Length: the client must count for itself
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def settings(settings):
    """These tests serve calendars from 127.0.0.1, which the default settings refuse."""
    return settings.model_copy(update={"calendar_private_addresses": True})


@pytest.fixture
def calendar_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CalendarServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_import_from_a_url(client, db, host, host_token, calendar_server):
    listing_id = await paris_listing(db, host)
    url = f"{calendar_server}/airbnb.ics"

    first = await run_import(client, host_token, listing_id, url=url)
    again = await run_import(client, host_token, listing_id, url=url)

    assert (first["errors"], first["created"], again["unchanged"]) == ([], 3, 3)
    assert {v[7] for v in (await blocks(db, listing_id)).values()} == {url}
    for path, says in (
        ("/missing.ics", "HTTP 404"),
        ("/huge.ics", "larger than 2 MB"),
        ("/page.html", "Not an iCalendar file"),
    ):
        answer = await run_import(client, host_token, listing_id, url=calendar_server + path)
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [
            ("INVALID_INPUT", ["input", "url"])
        ]
        assert says in answer["errors"][0]["message"]


async def test_by_default_a_calendar_url_may_not_point_into_private_networks(calendar_server):
    for url in (f"{calendar_server}/airbnb.ics", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(DomainError) as refused:
            await fetch_calendar(url)
        assert refused.value.field == ("url",)
        assert "private or local address" in refused.value.message
    assert "BEGIN:VCALENDAR" in await fetch_calendar(
        f"{calendar_server}/airbnb.ics", private_addresses=True
    )


async def test_the_whole_fetch_has_a_time_limit(calendar_server, monkeypatch):
    monkeypatch.setattr(calendar_fetch, "TIMEOUT_SECONDS", 0.5)
    with pytest.raises(DomainError) as refused:
        await fetch_calendar(f"{calendar_server}/slow.ics", private_addresses=True)
    assert refused.value.message == "The calendar URL did not answer within 0.5 seconds."


class _Resolver:
    """A DNS of names under .invalid; `rebind.invalid` points elsewhere after its first
    answer, as an attacker's DNS would between a check and a connection."""

    def __init__(self):
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host == "rebind.invalid":
            return ["127.0.0.1" if self.asked.count(host) == 1 else "10.0.0.7"]
        return {"calendar.invalid": ["127.0.0.1"], "inside.invalid": ["10.0.0.7"]}[host]


def _only_loopback_is_public(ip) -> bool:
    return ip == ipaddress.ip_address("127.0.0.1")


async def test_a_fetch_connects_to_the_address_it_checked(calendar_server):
    port = calendar_server.rsplit(":", 1)[1]
    resolver = _Resolver()
    backend = PinnedBackend(allowed=_only_loopback_is_public, resolver=resolver)
    _CalendarServer.hosts.clear()

    text = await fetch_calendar(f"http://rebind.invalid:{port}/airbnb.ics", backend=backend)

    assert "BEGIN:VCALENDAR" in text
    assert resolver.asked == ["rebind.invalid"]  # resolved once, connected there
    assert _CalendarServer.hosts == [f"rebind.invalid:{port}"]  # the name, not the address
    # A redirect is checked again, and one into the private network refused.
    with pytest.raises(DomainError) as refused:
        await fetch_calendar(f"http://calendar.invalid:{port}/redirect", backend=backend)
    assert (
        refused.value.message == "The calendar host inside.invalid is a private or local address."
    )
