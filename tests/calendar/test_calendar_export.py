"""GET /listings/{id}/calendar.ics: the listing's booked ranges as iCalendar, behind a
per-listing token; Listing.calendarUrl for its host; and the feed imported back."""

import uuid
from datetime import date, datetime
from urllib.parse import urlsplit

import icalendar
from sqlalchemy import text

from bookwell.core.db import secret_key
from bookwell.models import Role
from bookwell.services.accounts.feed_tokens import feed_token
from tests.calendar.calendars import blocks, ics, run_import
from tests.factories import (
    book_slot,
    make_listing,
    make_slot_listing,
    make_token,
    make_user,
    try_book_over_graphql,
)
from tests.slots.slot_clock import NOW

CALENDAR_URL = "query($id: ID!) { listing(id: $id) { calendarUrl } }"

CHANGE_DATES = """
mutation($input: ChangeReservationDatesInput!) {
  changeReservationDates(input: $input) { reservation { id } errors { code } }
}"""

CANCEL = "mutation($id: ID!) { cancelReservation(id: $id) { errors { code } } }"


async def calendar_url(client, listing_id, token=None) -> str | None:
    answer = await client(CALENDAR_URL, {"id": str(listing_id)}, token=token)
    return answer.data["listing"]["calendarUrl"]


async def fetch(client, url: str):
    """GET a feed URL (made with the app's public URL) from the in-process app."""
    parts = urlsplit(url)
    return await client.http.get(f"{parts.path}?{parts.query}")


def events(feed: str) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(feed)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


async def test_the_feed_lists_bookings_and_blocks_without_personal_data(
    client, db, host, host_token, guest_token, settings
):
    listing_id = await make_listing(db, host, units=2, timezone="Europe/Paris", title="Loft")
    booked = await try_book_over_graphql(client, guest_token, listing_id, "2030-06-01", 3)
    pending = booked["reservation"]["databaseId"]
    cancelled = (await try_book_over_graphql(client, guest_token, listing_id, "2030-06-10", 2))[
        "reservation"
    ]["id"]
    assert (await client(CANCEL, {"id": cancelled}, token=guest_token)).data
    await run_import(client, host_token, listing_id, ics_text=ics("airbnb"))
    block_ids = await _block_ids(db, listing_id)

    url = await calendar_url(client, listing_id, host_token)
    assert url.startswith(f"{settings.public_url}/listings/{listing_id}/calendar.ics?token=")
    response = await fetch(client, url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    found = events(response.text)
    assert set(found) == {f"{pending}@bookwell"} | {f"{i}@bookwell" for i in block_ids}
    stay = found[f"{pending}@bookwell"]
    assert stay["DTSTART"].params.get("VALUE") == "DATE"
    assert (stay.start, stay.end) == (date(2030, 6, 1), date(2030, 6, 4))
    assert (str(stay["SUMMARY"]), str(stay["STATUS"])) == ("Booked", "TENTATIVE")
    summaries = {str(e["SUMMARY"]) for uid, e in found.items() if uid != f"{pending}@bookwell"}
    assert summaries == {"Blocked"}
    assert {(e.start, e.end) for e in found.values()} >= {(date(2030, 3, 5), date(2030, 3, 10))}
    for private in ("Gus Guest", "example.com", "Reserved", "Airbnb"):
        assert private not in response.text


async def test_uids_are_stable_and_follow_the_booking(client, db, host, host_token, guest_token):
    listing_id = await make_listing(db, host, timezone="Europe/Paris")
    reservation = (await try_book_over_graphql(client, guest_token, listing_id, "2030-06-01", 3))[
        "reservation"
    ]
    url = await calendar_url(client, listing_id, host_token)
    before = events((await fetch(client, url)).text)

    moved = await client(
        CHANGE_DATES,
        {"input": {"id": reservation["id"], "startDate": "2030-07-01", "nights": 2}},
        token=guest_token,
    )
    assert moved.data["changeReservationDates"]["errors"] == []
    after = events((await fetch(client, url)).text)

    uid = f"{reservation['databaseId']}@bookwell"
    assert set(before) == set(after) == {uid}
    assert (after[uid].start, after[uid].end) == (date(2030, 7, 1), date(2030, 7, 3))


async def test_slot_reservations_are_timed_events_in_the_listings_zone(
    client, db, host, host_token, guest
):
    listing_id = await make_slot_listing(db, host, timezone="Europe/Berlin")
    row = await book_slot(
        db, guest, listing_id, datetime.fromisoformat("2031-03-10T10:00:00+01:00"), now=NOW
    )
    response = await fetch(client, await calendar_url(client, listing_id, host_token))

    event = events(response.text)[f"{row.id}@bookwell"]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.start.isoformat() == "2031-03-10T10:00:00+01:00"
    assert event.end.isoformat() == "2031-03-10T11:00:00+01:00"
    assert "BEGIN:VTIMEZONE" in response.text


async def test_a_bad_token_answers_404_whatever_the_listing(client, db, host, host_token, settings):
    listing_id = await make_listing(db, host)
    other_id = await make_listing(db, host)
    good = await calendar_url(client, listing_id, host_token)
    path = f"/listings/{listing_id}/calendar.ics"
    key = secret_key(settings)
    unknown = uuid.uuid4()

    assert (await fetch(client, good)).status_code == 200
    for url in (
        path,
        f"{path}?token=",
        f"{path}?token=nope",
        f"{path}?token={feed_token(key, other_id)}",
        f"{path}?token={feed_token('another-secret', listing_id)}",
        f"/listings/{unknown}/calendar.ics?token={feed_token(key, unknown)}",
        f"/listings/not-a-uuid/calendar.ics?token={feed_token(key, listing_id)}",
    ):
        response = await client.http.get(url)
        assert (response.status_code, response.text) == (404, "Not found."), url


async def test_the_feed_token_decides_whatever_bearer_token_comes_with_it(
    client, db, host, host_token, guest_token
):
    """A bearer token is checked by the same middleware as on /graphql: a valid one (even
    a guest's) changes nothing, the feed token still decides; an invalid one is 401."""
    listing_id = await make_listing(db, host)
    good = await calendar_url(client, listing_id, host_token)
    path = urlsplit(good).path
    signed_in = {"Authorization": f"Bearer {guest_token}"}
    assert (await client.http.get(good, headers=signed_in)).status_code == 200
    assert (await client.http.get(path, headers=signed_in)).status_code == 404
    refused = await client.http.get(good, headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")


async def test_only_the_host_and_admins_see_the_calendar_url(
    client, db, host, host_token, guest_token
):
    listing_id = await make_listing(db, host)
    other_host = await make_token(db, await make_user(db, Role.HOST))
    admin = await make_token(db, await make_user(db, Role.ADMIN))

    assert await calendar_url(client, listing_id, host_token) is not None
    assert await calendar_url(client, listing_id, admin) == await calendar_url(
        client, listing_id, host_token
    )
    for token in (None, guest_token, other_host):
        assert await calendar_url(client, listing_id, token) is None


async def test_a_feed_blocks_other_listings_but_never_its_own(
    client, db, host, host_token, guest_token
):
    listing_id = await make_listing(db, host, timezone="Europe/Paris")
    elsewhere = await make_listing(db, host, timezone="Europe/Paris")
    await try_book_over_graphql(client, guest_token, listing_id, "2030-06-01", 3)
    await run_import(client, host_token, listing_id, ics_text=ics("google"))
    before = await blocks(db, listing_id)
    feed = (await fetch(client, await calendar_url(client, listing_id, host_token))).text
    assert len(events(feed)) == 4

    back = await run_import(client, host_token, listing_id, ics_text=feed)
    across = await run_import(client, host_token, elsewhere, ics_text=feed, source="Sibling")

    counts = [(a["errors"], a["created"], a["updated"], a["unchanged"]) for a in (back, across)]
    assert counts == [([], 0, 0, 0), ([], 4, 0, 0)]
    assert await blocks(db, listing_id) == before
    assert set(await blocks(db, elsewhere)) == set(events(feed))
    # Two listings that import each other's feeds: the echoes of one's own nights, blocks
    # of its blocks, are left out too (a single unit has no room for them).
    echo = (await fetch(client, await calendar_url(client, elsewhere, host_token))).text
    assert len(events(echo)) == 4
    answer = await run_import(client, host_token, listing_id, ics_text=echo, source="Sibling")
    assert (answer["errors"], answer["created"]) == ([], 0)
    assert await blocks(db, listing_id) == before


RESERVATIONS = """
query($id: ID!) {
  reservations(listingId: $id) {
    edges { node { guestName guest { id } totalPrice { amount } status price { total { amount } }
                   payment { status } listing { id } } }
  }
  listing(id: $id) {
    reservations { edges { node { guestName guest { name } totalPrice { amount } } } }
  }
}"""


async def test_blocks_read_like_reservations_without_a_guest(client, db, host, host_token):
    listing_id = await make_listing(db, host, timezone="Europe/Paris")
    long_name = ics("airbnb").replace("SUMMARY:Airbnb (Not available)", "SUMMARY:" + "x" * 300)
    await run_import(client, host_token, listing_id, ics_text=long_name)

    answer = await client(RESERVATIONS, {"id": str(listing_id)}, token=host_token)

    nodes = [edge["node"] for edge in answer.data["reservations"]["edges"]]
    assert len(nodes) == 3
    for node in nodes:
        assert node["guest"] is None and node["price"] is None
        assert (node["status"], node["totalPrice"]["amount"]) == ("CONFIRMED", "0.00")
        assert node["payment"]["status"] == "UNPAID"
    names = sorted(node["guestName"] for node in nodes)
    assert names[:2] == ["Blocked: Reserved"] * 2
    assert len(names[2]) == 200 and names[2].startswith("Blocked: xxx")
    nested = [edge["node"] for edge in answer.data["listing"]["reservations"]["edges"]]
    assert sorted(r["guestName"] for r in nested) == names
    assert all(r["guest"] is None for r in nested)


async def _block_ids(db, listing_id) -> list[uuid.UUID]:
    async with db.read() as session:
        rows = await session.execute(
            text("SELECT id FROM reservations WHERE listing_id = :id AND external_uid IS NOT NULL"),
            {"id": listing_id},
        )
        return list(rows.scalars())
