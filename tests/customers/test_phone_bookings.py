"""A host's phone booking (bookSlot with bookedByHost) for a guest with an address is that
guest's booking: their checkout user's, with the phone given, among the host's customers;
the host is never their own customer; and a guest without an account may leave a phone."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text

from bookwell.models import ListingKind
from bookwell.services.listings.units import SlotSettings, TableSpec
from tests.factories import MANY_HOLDS, make_listing
from tests.support.guest_checkout import checkout, checkout_listing, try_checkout

DAY = date.today() + timedelta(days=9)
BOOK_SLOT = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) {
    reservation { id databaseId status guestName }
    manageToken
    errors { code field message }
  }
}"""
CUSTOMERS = """query($listing: ID) { customers(listingId: $listing) { totalCount edges { node {
  name email phone bookings } } } }"""


async def restaurant(db, host):
    settings = SlotSettings(
        opens_at=time(0), closes_at=time(23), tables=(TableSpec(2), TableSpec(4), TableSpec(6))
    )
    return await make_listing(
        db,
        host,
        kind=ListingKind.RESTAURANT,
        timezone="UTC",
        nightly_price="0",
        slots=settings,
        **MANY_HOLDS,
    )


def slot(listing_id, hour: int, **more) -> dict:
    starts_at = datetime.combine(DAY, time(hour), tzinfo=UTC).isoformat()
    return {"listingId": str(listing_id), "startsAt": starts_at, "partySize": 2} | more


async def book(client, token, **fields) -> dict:
    answer = await client(BOOK_SLOT, {"input": fields}, token=token)
    assert answer.status == 200, answer.body
    return answer.data["bookSlot"]


async def guest_of(db, reservation_id) -> tuple:
    async with db.read() as session:
        row = await session.execute(
            text(
                "SELECT u.email, r.guest_phone, u.checkout FROM reservations r "
                "JOIN users u ON u.id = r.guest_id WHERE r.id = :id"
            ),
            {"id": reservation_id},
        )
        return tuple(row.one())


async def test_a_phone_booking_is_the_named_guests_and_makes_them_a_customer(
    client, db, host, host_token
):
    listing_id = await restaurant(db, host)
    booked = await book(
        client,
        host_token,
        **slot(
            listing_id,
            19,
            bookedByHost=True,
            guestName="Paula Phone",
            guestEmail="Paula@Example.com",
            guestPhone="+33 1 42 68 53 00",
        ),
    )
    assert booked["errors"] == []
    assert booked["reservation"]["status"] == "CONFIRMED"
    assert await guest_of(db, booked["reservation"]["databaseId"]) == (
        "Paula@Example.com",  # as first given; found again in any case
        "+33142685300",
        True,
    )
    # A walk-in without an address stays the host's own booking, as before.
    walk_in = await book(
        client, host_token, **slot(listing_id, 20, bookedByHost=True, guestName="Walter Walkin")
    )
    assert walk_in["errors"] == []
    # The second phone booking of the same address is the same customer's; no phone keeps it.
    again = await book(
        client,
        host_token,
        **slot(
            listing_id,
            21,
            bookedByHost=True,
            guestName="Paula Phone",
            guestEmail="paula@example.com",
        ),
    )
    assert again["errors"] == []
    customers = (await client(CUSTOMERS, token=host_token)).data["customers"]
    assert [edge["node"] for edge in customers["edges"]] == [
        {
            "name": "Paula Phone",
            "email": "Paula@Example.com",
            "phone": "+33142685300",
            "bookings": 2,
        }
    ]  # the host is not their own customer


async def test_a_phone_bookings_contact_is_checked(client, db, host, host_token, guest_token):
    listing_id = await restaurant(db, host)
    refused = await book(
        client,
        host_token,
        **slot(
            listing_id,
            19,
            bookedByHost=True,
            guestName="Paula",
            guestEmail="not an address",
            guestPhone="12",
        ),
    )
    assert sorted((e["code"], tuple(e["field"])) for e in refused["errors"]) == [
        ("INVALID_INPUT", ("input", "guestEmail")),
        ("INVALID_INPUT", ("input", "guestPhone")),
    ]
    no_address = await book(
        client,
        host_token,
        **slot(listing_id, 19, bookedByHost=True, guestName="Paula", guestPhone="+14155550123"),
    )
    assert [tuple(e["field"]) for e in no_address["errors"]] == [("input", "guestEmail")]
    # A guest's own booking takes no other address or phone.
    own = await book(client, guest_token, **slot(listing_id, 19, guestPhone="+14155550123"))
    assert [tuple(e["field"]) for e in own["errors"]] == [("input", "guestPhone")]
    async with db.read() as session:
        made = await session.scalar(
            text("SELECT count(*) FROM reservations WHERE listing_id = :id"), {"id": listing_id}
        )
    assert made == 0


async def test_a_guest_without_an_account_leaves_a_phone(client, db, host):
    listing_id = await checkout_listing(db, host)
    payload = await checkout(
        client, listing_id, "phone.guest@example.com", guestPhone="+1 415 555 0123"
    )
    assert await guest_of(db, payload["reservation"]["databaseId"]) == (
        "phone.guest@example.com",
        "+14155550123",
        True,
    )
    bad = await try_checkout(
        client, listing_id, "phone.guest@example.com", start=DAY, guestPhone="call me"
    )
    errors = bad.data["createReservation"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", ["input", "guestPhone"])]
    space = await restaurant(db, host)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET allow_guest_checkout = true WHERE id = :id"), {"id": space}
        )
    walk_in = await client(
        BOOK_SLOT,
        {
            "input": slot(
                space,
                18,
                guestName="Sam Slot",
                guestEmail="sam.slot@example.com",
                guestPhone="+44 20 7946 0958",
            )
        },
    )
    booked = walk_in.data["bookSlot"]
    assert booked["errors"] == [] and booked["manageToken"]
    assert (await guest_of(db, booked["reservation"]["databaseId"]))[1] == "+442079460958"
