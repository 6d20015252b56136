"""Where calendars come from and what their changes set off: a URL served by a real local
HTTP server, two calendars side by side, and the waitlist when a block goes."""

import asyncio
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bookwell.services.calendar_fetch import fetch_calendar
from bookwell.services.errors import DomainError
from tests.conftest import inventory_faults, make_token, make_user
from tests.test_calendar_import import (
    AIRBNB_RESERVED,
    FIXTURES,
    blocks,
    book,
    ics,
    paris_listing,
    run_import,
    without_event,
)

JOIN = """
mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) { waitlistEntry { id status } errors { code message } }
}"""


async def test_concurrent_imports_of_one_calendar_create_each_block_once(
    client, db, host, host_token
):
    listing_id = await paris_listing(db, host)

    answers = await asyncio.gather(
        *(run_import(client, host_token, listing_id, ics_text=ics("airbnb")) for _ in range(4))
    )

    assert [a["errors"] for a in answers] == [[]] * 4
    assert sorted((a["created"], a["unchanged"]) for a in answers) == [(0, 3)] * 3 + [(3, 0)]
    assert len(await blocks(db, listing_id)) == 3
    assert await inventory_faults(db) == []


async def test_an_import_racing_bookings_for_the_last_unit(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    tokens = [await make_token(db, await make_user(db)) for _ in range(3)]

    imported, *booked = await asyncio.gather(
        run_import(client, host_token, listing_id, ics_text=ics("airbnb")),
        *(book(client, token, listing_id, "2030-03-08", 1) for token in tokens),
    )

    winners = [b for b in booked if b["errors"] == []]
    if imported["errors"]:
        assert [e["code"] for e in imported["errors"]] == ["UNAVAILABLE"]
        assert len(winners) == 1 and await blocks(db, listing_id) == {}
    else:
        assert imported["created"] == 3 and winners == []
    assert await inventory_faults(db) == []


MINE = "{ myWaitlist(first: 5) { edges { node { status offer { startDate status } } } } }"


async def test_a_removed_block_offers_its_nights_to_the_waitlist(
    client, db, host, host_token, guest_token
):
    listing_id = await paris_listing(db, host)
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"))
    wait = {"listingId": str(listing_id), "startDate": "2030-03-14", "nights": 2}
    joined = await client(JOIN, {"input": wait}, token=guest_token)
    assert joined.data["joinWaitlist"]["errors"] == []

    emptied = without_event(
        ics("airbnb"), "1418fb94e984-3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f@airbnb.com"
    )
    assert (await run_import(client, host_token, listing_id, ics_text=emptied))["removed"] == 1

    mine = (await client(MINE, token=guest_token)).data["myWaitlist"]["edges"]
    assert [edge["node"]["status"] for edge in mine] == ["OFFERED"]
    assert mine[0]["node"]["offer"] == {"startDate": "2030-03-14", "status": "PENDING"}


async def test_two_calendars_never_remove_each_others_blocks(client, db, host, host_token):
    listing_id = await paris_listing(db, host)
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"))
    await run_import(client, host_token, listing_id, ics_text=ics("google"))
    emptied = ics("google")
    for uid in ("5k2m8v0q1r3t6y9u4i7o2p5a8s", "8h3j5k7l9z1x2c4v6b8n0m", "2q4w6e8r0t1y3u5i7o9p"):
        emptied = without_event(emptied, f"{uid}@google.com")

    answer = await run_import(client, host_token, listing_id, ics_text=emptied)

    assert (answer["removed"], answer["unchanged"]) == (3, 0)
    statuses = {uid: v[2] for uid, v in (await blocks(db, listing_id)).items()}
    assert sorted(statuses.values()) == ["CANCELLED"] * 3 + ["CONFIRMED"] * 3
    assert statuses[AIRBNB_RESERVED] == "CONFIRMED"


class _CalendarServer(SimpleHTTPRequestHandler):
    """The fixture calendars, a page that is not a calendar, and one too large."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(FIXTURES), **kwargs)

    def do_GET(self) -> None:
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
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [("INVALID_INPUT", "url")]
        assert says in answer["errors"][0]["message"]


async def test_by_default_a_calendar_url_may_not_point_into_private_networks(calendar_server):
    for url in (f"{calendar_server}/airbnb.ics", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(DomainError) as refused:
            await fetch_calendar(url)
        assert refused.value.field == "url"
        assert "private or local address" in refused.value.message
    assert "BEGIN:VCALENDAR" in await fetch_calendar(
        f"{calendar_server}/airbnb.ics", private_addresses=True
    )
