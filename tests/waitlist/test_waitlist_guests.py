"""Guests on waitlist entries (issue 19): adults and children are checked against the
listing's maxGuests x quantity when joining, shown on the entry, and carried into the booking
an offer makes, which is priced with the listing's taxes for them."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import ListingKind, Role, TaxKind, WaitlistStatus
from bookwell.services.listings import taxes as listing_taxes
from bookwell.services.listings.charges import Tax
from bookwell.services.listings.units import SlotSettings, TableSpec
from bookwell.services.waitlist.requests import NewWaitlistEntry
from bookwell.services.waitlist.waitlist import join_waitlist, offer_freed_units
from tests.factories import (
    MANY_HOLDS,
    book,
    book_slot,
    in_days,
    make_listing,
    make_slot_listing,
    make_user,
    set_status,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = in_days(10, "Europe/Berlin")
START = date.today() + timedelta(days=20)
CITY = Tax("City", TaxKind.PER_PERSON_NIGHT, inclusive=False, amount=Decimal("2.50"))


def at(hour: int) -> datetime:
    return datetime.combine(DAY, time(hour), tzinfo=BERLIN)


async def set_taxes(db, host, listing_id, *taxes: Tax) -> None:
    async with db.transaction() as session:
        await listing_taxes.set_listing_taxes(
            session=session, principal=host, listing_id=listing_id, taxes=list(taxes)
        )


async def join(db, listing_id, **fields):
    user = await make_user(db, Role.GUEST)
    async with db.transaction() as session:
        data = NewWaitlistEntry(listing_id, **fields)
        return await join_waitlist(session=session, principal=user, data=data)


async def refused(db, listing_id, **fields) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await join(db, listing_id, **fields)
    return raised.value


async def offered(db, listing_id) -> list:
    async with db.transaction() as session:
        return await offer_freed_units(session=session, listing_id=listing_id)


async def offer_booking(db, entry_id: uuid.UUID):
    async with db.read() as session:
        return (
            await session.execute(
                text("""
                    SELECT r.adults, r.children, r.party_size, r.total_amount, r.tax_amount,
                           r.guest_id = w.user_id AS theirs
                      FROM waitlist_entries w JOIN reservations r ON r.id = w.reservation_id
                     WHERE w.id = :id"""),
                {"id": entry_id},
            )
        ).one()


async def test_a_stay_entrys_guests_are_checked_and_carried_into_its_offer(db, host):
    listing_id = await make_listing(db, host, units=1, max_guests=2)
    await set_taxes(db, host, listing_id, CITY)
    blocking = await book(db, None, listing_id, START, START + timedelta(days=2), confirmed=True)
    nights = {"start_date": START, "end_date": START + timedelta(days=2)}

    too_many = await refused(db, listing_id, adults=2, children=1, **nights)
    alone = await refused(db, listing_id, children=1, **nights)
    entry = await join(db, listing_id, adults=1, children=1, **nights)

    assert (too_many.code, too_many.field) == (ErrorCode.TOO_MANY_GUESTS, ("adults",))
    assert (alone.code, alone.field) == (ErrorCode.INVALID_INPUT, ("adults",))
    assert (entry.adults, entry.children, entry.status) == (1, 1, WaitlistStatus.WAITING)

    await set_status(db, blocking.id, "CANCELLED")
    assert [row.id for row in await offered(db, listing_id)] == [entry.id]
    # 2 nights at 100.00; the city tax for 2 persons x 2 nights.
    assert tuple(await offer_booking(db, entry.id)) == (
        1,
        1,
        None,
        Decimal("210.00"),
        Decimal("10.00"),
        True,
    )


async def test_a_slot_entrys_party_is_its_guests_and_its_offer_is_taxed_for_them(db, host):
    space = await make_slot_listing(db, host, units=1, max_guests=3, **MANY_HOLDS)
    await set_taxes(db, host, space, CITY)
    blocking = await book_slot(db, await make_user(db, Role.GUEST), space, at(10))
    await set_status(db, blocking.id, "CONFIRMED")

    mismatch = await refused(db, space, starts_at=at(10), adults=2, children=1, party_size=2)
    too_many = await refused(db, space, starts_at=at(10), adults=3, children=1)
    entry = await join(db, space, starts_at=at(10), adults=2, children=1)

    assert (mismatch.code, mismatch.field) == (ErrorCode.INVALID_INPUT, ("partySize",))
    assert (too_many.code, too_many.field) == (ErrorCode.TOO_MANY_GUESTS, ("adults",))
    assert (entry.adults, entry.children, entry.party_size) == (2, 1, 3)

    await set_status(db, blocking.id, "CANCELLED")
    assert [row.id for row in await offered(db, space)] == [entry.id]
    # One hour at 30.00 and 2.50 for each of 3 persons, once.
    assert tuple(await offer_booking(db, entry.id)) == (
        2,
        1,
        3,
        Decimal("37.50"),
        Decimal("7.50"),
        True,
    )


async def test_a_restaurant_entry_waits_for_a_table_for_its_adults_and_children(db, host):
    settings = SlotSettings(opens_at=time(18), closes_at=time(23), tables=(TableSpec(4),))
    table = await make_listing(
        db,
        host,
        kind=ListingKind.RESTAURANT,
        timezone="Europe/Berlin",
        nightly_price="0",
        slots=settings,
        **MANY_HOLDS,
    )
    blocking = await book_slot(db, await make_user(db, Role.GUEST), table, at(19), party_size=2)
    await set_status(db, blocking.id, "CONFIRMED")

    entry = await join(db, table, starts_at=at(19), adults=3, children=1)
    assert entry.party_size == 4

    await set_status(db, blocking.id, "CANCELLED")
    assert [row.id for row in await offered(db, table)] == [entry.id]
    adults, children, party, *_ = await offer_booking(db, entry.id)
    assert (adults, children, party) == (3, 1, 4)


JOIN = """
mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) {
    waitlistEntry { status partySize adults children }
    errors { code field }
  }
}"""


async def test_join_waitlist_takes_and_shows_guests(client, db, host, guest_token):
    space = await make_slot_listing(db, host, units=1, max_guests=3, **MANY_HOLDS)
    blocking = await book_slot(db, await make_user(db, Role.GUEST), space, at(10))
    await set_status(db, blocking.id, "CONFIRMED")
    wanted = {"listingId": str(space), "startsAt": at(10).isoformat()}

    joined = await client(JOIN, {"input": wanted | {"adults": 1, "children": 2}}, token=guest_token)
    mismatch = await client(
        JOIN, {"input": wanted | {"adults": 1, "partySize": 2, "children": 2}}, token=guest_token
    )

    assert joined.data["joinWaitlist"] == {
        "waitlistEntry": {"status": "WAITING", "partySize": 3, "adults": 1, "children": 2},
        "errors": [],
    }
    assert mismatch.data["joinWaitlist"] == {
        "waitlistEntry": None,
        "errors": [{"code": "INVALID_INPUT", "field": ["input", "partySize"]}],
    }
