"""updateListing: every field a host set, and the rules that keep bookings true (units not
below what is booked, timezone and currency fixed while bookings hold units, kind never)."""

import asyncio

from sqlalchemy import text

from bookwell.models import Role
from tests.factories import book, in_days, make_listing, make_slot_listing, make_token, make_user

UPDATE = """
mutation($id: ID!, $input: UpdateListingInput!) {
  updateListing(id: $id, input: $input) {
    listing { title description city country addressLine1 addressLine2 postalCode latitude
              longitude timezone units maxGuests nightlyPrice { amount currency }
              holdMinutes }
    errors { code field message }
  }
}"""


async def update(client, token, listing_id, **fields):
    answer = await client(UPDATE, {"id": str(listing_id), "input": fields}, token=token)
    return answer.data["updateListing"]


async def test_a_host_changes_every_field_and_clears_the_optional_ones(
    client, db, host, host_token
):
    listing_id = await make_listing(db, host, title="Old", city="Paris", max_guests=2)
    changed = await update(
        client,
        host_token,
        listing_id,
        title=" New loft ",
        description="Bright.",
        country="fr",
        addressLine1="1 rue de Rivoli",
        addressLine2="3rd floor",
        postalCode="75001",
        latitude=48.8566,
        longitude=2.3522,
        timezone="Europe/Paris",
        nightlyPrice="120.50",
        currency="eur",
        units=3,
        maxGuests=None,
        terms={"holdMinutes": 30},
    )
    assert changed["errors"] == []
    assert changed["listing"] == {
        "title": "New loft",
        "description": "Bright.",
        "city": "Paris",  # left out: kept
        "country": "FR",
        "addressLine1": "1 rue de Rivoli",
        "addressLine2": "3rd floor",
        "postalCode": "75001",
        "latitude": 48.8566,
        "longitude": 2.3522,
        "timezone": "Europe/Paris",
        "units": 3,
        "maxGuests": None,  # null: cleared
        "nightlyPrice": {"amount": "120.50", "currency": "EUR"},
        "holdMinutes": 30,
    }
    cleared = await update(client, host_token, listing_id, city=None, latitude=None, longitude=None)
    assert cleared["listing"]["city"] is None and cleared["listing"]["latitude"] is None


async def test_every_mistake_is_answered_at_once_and_nothing_changes(client, db, host, host_token):
    listing_id = await make_listing(db, host, title="Kept")
    refused = await update(
        client,
        host_token,
        listing_id,
        title=None,
        latitude=91.0,
        postalCode="75<01",
        timezone="Mars/Olympus",
        nightlyPrice="1.234",
        terms={"holdMinutes": 0},
    )
    assert refused["listing"] is None
    assert sorted(tuple(e["field"]) for e in refused["errors"]) == [
        ("input", "latitude"),
        ("input", "nightlyPrice"),
        ("input", "postalCode"),
        ("input", "terms", "holdMinutes"),
        ("input", "timezone"),
        ("input", "title"),
    ]
    assert {e["code"] for e in refused["errors"]} == {"INVALID_INPUT"}
    half = await update(client, host_token, listing_id, latitude=10.0)
    assert half["errors"][0]["field"] == ["input", "longitude"]
    nothing = await update(client, host_token, listing_id)
    assert nothing["errors"][0]["code"] == "INVALID_INPUT"


async def test_only_the_host_or_an_admin_changes_a_listing(client, db, host):
    listing_id = await make_listing(db, host, title="Mine")
    other = await make_token(db, await make_user(db, Role.HOST))
    admin = await make_token(db, await make_user(db, Role.ADMIN))
    refused = await update(client, other, listing_id, title="Theirs")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("FORBIDDEN", ["id"])]
    assert (await update(client, admin, listing_id, title="Moderated"))["errors"] == []
    missing = await update(client, admin, "TGlzdGluZzowMDAwMDAwMC0wMDAw", title="x")
    assert missing["errors"][0]["code"] == "NOT_FOUND"


async def test_units_may_not_drop_below_what_is_booked_on_any_night(client, db, host, host_token):
    listing_id = await make_listing(db, host, units=3, max_hold_units=3)
    first = in_days(10)
    await book(db, None, listing_id, first, nights=2, quantity=2)
    await book(db, None, listing_id, in_days(11), nights=1, quantity=1)  # night 11: 3 booked
    refused = await update(client, host_token, listing_id, units=1)
    error = refused["errors"][0]
    assert (error["code"], error["field"]) == ("UNITS_IN_USE", ["input", "units"])
    assert in_days(10).isoformat() in error["message"]
    assert f"{in_days(11).isoformat()} (3 booked)" in error["message"]
    assert (await update(client, host_token, listing_id, units=2))["errors"][0]["code"] == (
        "UNITS_IN_USE"
    )
    assert (await update(client, host_token, listing_id, units=5))["listing"]["units"] == 5
    async with db.transaction() as session:
        nights = (
            await session.execute(
                text("SELECT DISTINCT units FROM listing_nights WHERE listing_id = :id"),
                {"id": listing_id},
            )
        ).scalars()
        assert set(nights) == {5}  # the capacity CHECK now counts with the new units
    await book(db, None, listing_id, in_days(11), nights=1, quantity=2)  # 5 of 5


async def test_dropping_units_and_booking_at_once_never_overbook(client, db, host, host_token):
    """The change locks the listing as every hold does: one of the two waits for the other,
    and the capacity CHECK counts with the units that won."""
    for _ in range(3):
        listing_id = await make_listing(db, host, units=2, max_hold_units=2)
        await book(db, None, listing_id, in_days(5), nights=1)
        guest = await make_user(db, Role.GUEST)
        booking = book(db, guest, listing_id, in_days(5), nights=1, as_the_api_does=True)
        change = update(client, host_token, listing_id, units=1)
        booked, changed = await asyncio.gather(booking, change, return_exceptions=True)
        async with db.transaction() as session:
            night = (
                await session.execute(
                    text(
                        "SELECT units, booked FROM listing_nights "
                        "WHERE listing_id = :id AND night = :night"
                    ),
                    {"id": listing_id, "night": in_days(5)},
                )
            ).one()
        assert night.booked <= night.units
        # Exactly one of them won.
        assert isinstance(booked, Exception) != (changed["errors"] != [])


async def test_timezone_and_currency_stay_while_bookings_hold_units(client, db, host, host_token):
    listing_id = await make_listing(db, host, timezone="UTC")
    reservation = await book(db, None, listing_id, in_days(3), nights=1)
    for field, value in (("timezone", "Asia/Tokyo"), ("currency", "JPY")):
        refused = await update(client, host_token, listing_id, **{field: value})
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("HAS_BOOKINGS", ["input", field])
        ]
    same = await update(client, host_token, listing_id, timezone="UTC", currency="USD")
    assert same["errors"] == []  # no change is no conflict
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"),
            {"id": reservation.id},
        )
    moved = await update(client, host_token, listing_id, timezone="Asia/Tokyo")
    assert moved["listing"]["timezone"] == "Asia/Tokyo"


async def test_a_new_price_leaves_existing_bookings_their_snapshot(client, db, host, host_token):
    listing_id = await make_listing(db, host, nightly_price="100.00", units=2)
    before = await book(db, None, listing_id, in_days(8), nights=2)
    assert (await update(client, host_token, listing_id, nightlyPrice="150.00"))["errors"] == []
    after = await book(db, None, listing_id, in_days(8), nights=2)
    assert (before.total_amount, after.total_amount) == (200, 300)


async def test_a_slot_listings_units_and_hours_follow_its_kind(client, db, host, host_token):
    space = await make_slot_listing(db, host, units=2)
    refused = await update(client, host_token, space, units=3)
    assert refused["errors"][0]["field"] == ["input", "units"]
    short = await update(client, host_token, space, opensAt="09:00:00", closesAt="09:30:00")
    assert short["errors"][0]["field"] == ["input", "closesAt"]  # shorter than one slot
    longer = await client(
        """mutation($id: ID!) { updateListing(id: $id, input: {closesAt: "20:00:00"}) {
             listing { opensAt closesAt } errors { code } } }""",
        {"id": str(space)},
        token=host_token,
    )
    assert longer.data["updateListing"]["listing"] == {
        "opensAt": "09:00:00",
        "closesAt": "20:00:00",
    }
