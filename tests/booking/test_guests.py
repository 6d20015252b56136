"""Guests on a booking (issue 19.4): adults and children within the listing's maxGuests per
unit (a slot: its party size), special requests for the host; in the API, the emails (both
parts and the .ics) and the notices read for them."""

from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy import text

from bookwell.mail import compose
from bookwell.services.booking.guests import Guests
from bookwell.services.booking.reservations import NewReservation, create_reservation
from bookwell.workers.notices import notices_for
from tests.factories import (
    book,
    book_over_graphql,
    in_days,
    make_listing,
    make_slot_listing,
    set_status,
    try_book_over_graphql,
)
from tests.notifications.notices import PUBLIC_URL, SENDER, notice

FIELDS = "id adults children specialRequests quantity"


async def test_adults_children_and_requests_are_kept_and_shown_to_the_host(
    client, db, host, host_token, guest_token
):
    listing_id = await make_listing(db, host, max_guests=4)
    booked = await book_over_graphql(
        client,
        guest_token,
        listing_id,
        in_days(20),
        fields=FIELDS,
        adults=2,
        children=2,
        specialRequests="  Late arrival, around 23:00.\nA cot, please.  ",
    )
    assert booked["adults"] == 2 and booked["children"] == 2
    assert booked["specialRequests"] == "Late arrival, around 23:00.\nA cot, please."
    seen = await client(
        "query($id: ID!) { listing(id: $id) { reservations { edges { node { "
        + FIELDS
        + " } } } } }",
        {"id": str(listing_id)},
        token=host_token,
    )
    [edge] = seen.data["listing"]["reservations"]["edges"]
    assert edge["node"] == booked


async def test_too_many_guests_for_the_units_is_refused(client, db, host, guest_token):
    listing_id = await make_listing(db, host, max_guests=2, units=3)
    refused = await try_book_over_graphql(
        client, guest_token, listing_id, in_days(20), adults=2, children=1
    )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("TOO_MANY_GUESTS", ["input", "adults"])
    ]
    assert "at most 2" in refused["errors"][0]["message"]
    # Two units take four.
    await book_over_graphql(
        client, guest_token, listing_id, in_days(20), quantity=2, adults=2, children=2
    )


async def test_fewer_units_must_still_seat_the_guests(client, db, host, guest_token):
    listing_id = await make_listing(db, host, max_guests=2, units=3)
    booked = await book_over_graphql(
        client, guest_token, listing_id, in_days(20), quantity=2, adults=3
    )
    change = """mutation($input: ChangeReservationDatesInput!) {
      changeReservationDates(input: $input) { reservation { quantity } errors { code field } }
    }"""
    smaller = {"id": booked["id"], "startDate": str(in_days(20)), "nights": 2, "quantity": 1}
    answer = await client(change, {"input": smaller}, token=guest_token)
    assert answer.data["changeReservationDates"]["errors"] == [
        {"code": "TOO_MANY_GUESTS", "field": ["input", "quantity"]}
    ]


async def test_guest_input_is_checked_all_at_once(client, db, host, guest_token):
    listing_id = await make_listing(db, host)
    refused = await try_book_over_graphql(
        client, guest_token, listing_id, in_days(20), adults=0, children=-1
    )
    assert sorted(e["field"][-1] for e in refused["errors"]) == ["adults", "children"]
    orphans = await try_book_over_graphql(client, guest_token, listing_id, in_days(20), children=2)
    assert [e["field"] for e in orphans["errors"]] == [["input", "adults"]]


async def test_a_listing_without_max_guests_takes_any_party(client, db, host, guest_token):
    listing_id = await make_listing(db, host, max_guests=None)
    booked = await book_over_graphql(
        client, guest_token, listing_id, in_days(20), fields=FIELDS, adults=12
    )
    assert booked["adults"] == 12 and booked["children"] is None


BOOK_SLOT = """mutation($input: BookSlotInput!) {
  bookSlot(input: $input) { reservation { partySize specialRequests } errors { code field } }
}"""


def slot_start() -> str:
    day = datetime.now(UTC).date() + timedelta(days=5)
    return f"{day.isoformat()}T10:00:00+01:00"


async def test_a_slots_party_is_checked_against_max_guests(client, db, host, guest_token):
    listing_id = await make_slot_listing(db, host, units=2, max_guests=5)
    booking = {"listingId": str(listing_id), "startsAt": slot_start(), "partySize": 6}
    refused = await client(BOOK_SLOT, {"input": booking}, token=guest_token)
    assert refused.data["bookSlot"]["errors"] == [
        {"code": "TOO_MANY_GUESTS", "field": ["input", "partySize"]}
    ]
    booking |= {"quantity": 2, "specialRequests": "Projector and whiteboard"}
    answer = await client(BOOK_SLOT, {"input": booking}, token=guest_token)
    assert answer.data["bookSlot"] == {
        "reservation": {"partySize": 6, "specialRequests": "Projector and whiteboard"},
        "errors": [],
    }


async def test_the_hosts_email_says_who_comes_and_what_they_ask(client, db, host, guest_token):
    listing_id = await make_listing(db, host, max_guests=4)
    booked = await book_over_graphql(
        client,
        guest_token,
        listing_id,
        in_days(20),
        adults=2,
        children=1,
        specialRequests="Ground floor if possible",
    )
    async with db.read() as session:
        outbox_id = (
            await session.execute(
                text(
                    "SELECT id FROM outbox WHERE event = 'reservation.created' "
                    "AND reservation_id = (SELECT id FROM reservations WHERE listing_id = :l)"
                ),
                {"l": listing_id},
            )
        ).scalar_one()
        notices = await notices_for(session=session, outbox_id=outbox_id)
    [for_host] = [n for n in notices if n.role == "host"]
    assert (for_host.booking.adults, for_host.booking.children) == (2, 1)
    message = compose(for_host, sender=SENDER, public_url=PUBLIC_URL)
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert "2 adults, 1 child" in body
        assert "Ground floor if possible" in body
    [ics] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert "Guests: 2 adults, 1 child" in str(event["DESCRIPTION"])
    assert "Special requests: Ground floor if possible" in str(event["DESCRIPTION"])
    assert booked["id"]


def test_a_booking_without_guests_says_nothing_of_them():
    message = compose(notice("reservation.created", "host"), sender=SENDER, public_url=PUBLIC_URL)
    body = message.get_body(("plain",)).get_content()
    assert "Guests" not in body and "Special requests" not in body


REPORT = """query($id: ID!, $start: Date!, $end: Date!) {
  report(listingId: $id, startDate: $start, endDate: $end) {
    listings { reservations adults children } totals { adults children }
  }
}"""


async def test_reports_count_the_guests_of_sold_stays(client, db, host, host_token, guest):
    listing_id = await make_listing(db, host, max_guests=4, units=3)
    for adults, children in ((2, 1), (1, None)):
        data = NewReservation(
            listing_id, in_days(20), nights=2, guests=Guests(adults, children, None)
        )
        async with db.transaction() as session:
            row = await create_reservation(session=session, guest=guest, data=data)
        await set_status(db, row.id, "CONFIRMED")
    await book(db, guest, listing_id, in_days(20), nights=2)  # a hold is not a sale
    window = {"id": str(listing_id), "start": str(in_days(19)), "end": str(in_days(25))}
    answer = await client(REPORT, window, token=host_token)
    report = answer.data["report"]
    assert report["listings"] == [{"reservations": 2, "adults": 3, "children": 1}]
    assert report["totals"] == [{"adults": 3, "children": 1}]
