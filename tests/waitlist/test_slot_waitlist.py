"""Waitlists of slot listings (spaces, equipment, restaurants): joining a full time window,
offers to the oldest entry that fits, lapses, and the race of waiters against a new booking."""

import asyncio
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import slots as slot_flows
from bookwell.models import ListingKind, Role, WaitlistStatus
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.units import SlotSettings, TableSpec
from bookwell.services.slots.slots import NewSlotBooking
from bookwell.services.waitlist.entries import effective_status
from bookwell.services.waitlist.requests import NewWaitlistEntry
from bookwell.services.waitlist.waitlist import join_waitlist, leave_waitlist, offer_freed_units
from tests.factories import (
    MANY_HOLDS,
    book_slot,
    in_days,
    make_listing,
    make_slot_listing,
    make_user,
    set_status,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = in_days(10, "Europe/Berlin")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), tzinfo=BERLIN)


async def space(db, host, units: int = 1, **fields) -> uuid.UUID:
    return await make_slot_listing(db, host, units=units, **{**MANY_HOLDS, **fields})


async def restaurant(db, host, tables=(2, 4, 6)) -> uuid.UUID:
    settings = SlotSettings(
        opens_at=time(18), closes_at=time(23), tables=tuple(TableSpec(s) for s in tables)
    )
    return await make_listing(
        db,
        host,
        kind=ListingKind.RESTAURANT,
        timezone="Europe/Berlin",
        nightly_price="0",
        slots=settings,
        **MANY_HOLDS,
    )


async def taken(db, listing_id, starts_at, ends_at=None, **fields) -> uuid.UUID:
    """A CONFIRMED slot booking of a new guest."""
    guest = await make_user(db, Role.GUEST)
    row = await book_slot(db, guest, listing_id, starts_at, ends_at, **fields)
    await set_status(db, row.id, "CONFIRMED")
    return row.id


async def join(db, listing_id, starts_at, ends_at=None, *, user=None, **fields):
    user = user or await make_user(db, Role.GUEST)
    data = NewWaitlistEntry(listing_id, starts_at=starts_at, ends_at=ends_at, **fields)
    async with db.transaction() as session:
        return await join_waitlist(session=session, principal=user, data=data)


async def refused(db, listing_id, starts_at, ends_at=None, **fields) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await join(db, listing_id, starts_at, ends_at, **fields)
    return raised.value


async def offer(db, listing_id) -> list[uuid.UUID]:
    async with db.transaction() as session:
        return [row.id for row in await offer_freed_units(session=session, listing_id=listing_id)]


async def entry(db, entry_id: uuid.UUID):
    async with db.read() as session:
        return (
            await session.execute(
                text("""
                    SELECT w.status, w.reservation_id, r.status AS hold_status,
                           r.expires_at - w.offered_at AS deadline, r.guest_id, w.user_id,
                           r.starts_at, r.ends_at, r.party_size, r.quantity,
                           (SELECT array_agg(u.seats) FROM reservation_units ru
                              JOIN listing_units u ON u.id = ru.unit_id
                             WHERE ru.reservation_id = r.id) AS seats
                      FROM waitlist_entries w LEFT JOIN reservations r ON r.id = w.reservation_id
                     WHERE w.id = :id"""),
                {"id": entry_id},
            )
        ).one()


async def overlapping_holds(db) -> int:
    async with db.read() as session:
        return await session.scalar(
            text("""
                SELECT count(*) FROM reservation_units a JOIN reservation_units b
                  ON a.unit_id = b.unit_id AND a.reservation_id < b.reservation_id
                 AND a.during && b.during
                WHERE a.holding AND b.holding""")
        )


async def test_a_full_window_waits_and_one_with_room_is_refused(db, host, guest):
    listing_id = await space(db, host)
    await taken(db, listing_id, at(10))

    first = await join(db, listing_id, at(10), user=guest)
    second = await join(db, listing_id, at(10), at(11))

    assert effective_status(first) is WaitlistStatus.WAITING
    assert (first.position, second.position) == (1, 2)
    assert (first.starts_at, first.ends_at) == (at(10), at(11))
    assert (first.start_date, first.end_date) == (DAY, DAY + timedelta(days=1))
    free = await refused(db, listing_id, at(11))
    assert free.code is ErrorCode.INVALID_STATE and "book it instead" in free.message
    assert (await refused(db, listing_id, at(10), user=guest)).code is ErrorCode.ALREADY_EXISTS
    assert (await refused(db, listing_id, at(10), quantity=2)).code is ErrorCode.INVALID_INPUT
    off_grid = await refused(db, listing_id, at(10, 30))
    assert (off_grid.code, off_grid.field) == (ErrorCode.INVALID_DATES, ("startsAt",))
    with pytest.raises(DomainError) as dates:
        async with db.transaction() as session:
            data = NewWaitlistEntry(listing_id, start_date=DAY, nights=1)
            await join_waitlist(session=session, principal=guest, data=data)
    assert (dates.value.code, dates.value.field) == (ErrorCode.INVALID_INPUT, ("startDate",))


async def test_freed_units_go_to_the_oldest_entry_whose_window_fits(db, host):
    listing_id = await space(db, host)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET offer_minutes = 30 WHERE id = :id"), {"id": listing_id}
        )
    freed = await taken(db, listing_id, at(10), at(12))
    await taken(db, listing_id, at(12), at(13))
    too_long = await join(db, listing_id, at(10), at(13))  # oldest, but 12-13 stays taken
    fits = await join(db, listing_id, at(10), at(11))
    fits_after = await join(db, listing_id, at(11), at(12))
    overlaps_first = await join(db, listing_id, at(10), at(12))

    await set_status(db, freed, "CANCELLED")
    offered = await offer(db, listing_id)

    assert offered == [fits.id, fits_after.id]
    got = await entry(db, fits.id)
    assert (got.status, got.hold_status) == ("OFFERED", "PENDING")
    assert got.guest_id == got.user_id
    assert (got.starts_at, got.ends_at, got.quantity) == (at(10), at(11), 1)
    assert got.deadline == timedelta(minutes=30)
    assert (await entry(db, too_long.id)).status == "WAITING"
    assert (await entry(db, overlaps_first.id)).status == "WAITING"
    assert await offer(db, listing_id) == []
    assert await overlapping_holds(db) == 0


async def test_a_freed_table_goes_to_the_oldest_party_it_seats(db, host):
    listing_id = await restaurant(db, host)
    bookings = {seats: await taken(db, listing_id, at(19), party_size=seats) for seats in (2, 4, 6)}
    six = await join(db, listing_id, at(19), party_size=6)
    two = await join(db, listing_id, at(19), party_size=2)
    party_refused = await refused(db, listing_id, at(19), party_size=7)

    await set_status(db, bookings[2], "CANCELLED")
    assert await offer(db, listing_id) == [two.id]
    await set_status(db, bookings[6], "CANCELLED")
    assert await offer(db, listing_id) == [six.id]

    assert party_refused.code is ErrorCode.INVALID_INPUT
    assert (await entry(db, two.id)).seats == [2]
    assert ((got := await entry(db, six.id)).seats, got.party_size) == ([6], 6)


async def test_a_lapsed_offer_passes_to_the_next_and_started_windows_lapse(db, host):
    listing_id = await space(db, host)
    freed = await taken(db, listing_id, at(10))
    first = await join(db, listing_id, at(10))
    second = await join(db, listing_id, at(10))
    await set_status(db, freed, "CANCELLED")
    assert await offer(db, listing_id) == [first.id]

    hold = (await entry(db, first.id)).reservation_id
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 s' WHERE id = :id"),
            {"id": hold},
        )
    assert await offer(db, listing_id) == [second.id]
    assert (await entry(db, first.id)).status == "LAPSED"

    late = await join(db, listing_id, at(10))
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE waitlist_entries SET starts_at = now() - interval '1 h' WHERE id = :id"),
            {"id": late.id},
        )
    async with db.transaction() as session:
        await leave_waitlist(
            session=session, principal=Principal(second.user_id, Role.GUEST), entry_id=second.id
        )
    assert await offer(db, listing_id) == []
    assert (await entry(db, late.id)).status == "LAPSED"


async def _release_and_offer(db, listing_id, reservation_id) -> None:
    await set_status(db, reservation_id, "CANCELLED")
    await offer(db, listing_id)


async def _book(db, listing_id, starts_at) -> bool:
    guest = await make_user(db, Role.GUEST)
    try:
        await slot_flows.book_slot(db, guest=guest, data=NewSlotBooking(listing_id, starts_at))
    except DomainError as error:
        assert error.code is ErrorCode.UNAVAILABLE, error
        return False
    return True


@pytest.mark.parametrize("released_first", [False, True])
async def test_two_waiters_and_a_new_booking_meet_the_same_freed_unit(db, host, released_first):
    """However the release, the offer and a booking of the same slot interleave, the unit is
    held once, by the booking or by the oldest waiter; the younger waiter keeps waiting."""
    outcomes = set()
    for _ in range(8):
        listing_id = await space(db, host)
        booked = await taken(db, listing_id, at(15))
        oldest = await join(db, listing_id, at(15))
        younger = await join(db, listing_id, at(15))
        if released_first:  # both then see the unit free; the listing's lock orders them
            await set_status(db, booked, "CANCELLED")
            offering = offer(db, listing_id)
        else:
            offering = _release_and_offer(db, listing_id, booked)

        _, got_it = await asyncio.gather(offering, _book(db, listing_id, at(15)))

        oldest_now = (await entry(db, oldest.id)).status
        assert (await entry(db, younger.id)).status == "WAITING"
        assert oldest_now == ("WAITING" if got_it else "OFFERED")
        async with db.read() as session:
            holders = await session.scalar(
                text("SELECT count(*) FROM reservation_units WHERE listing_id = :id AND holding"),
                {"id": listing_id},
            )
        assert holders == 1
        outcomes.add(got_it)
    assert await overlapping_holds(db) == 0
    if not released_first:
        assert outcomes  # (which side wins varies; never both, never the younger waiter)


async def test_a_booking_arriving_mid_offer_waits_and_finds_the_unit_held(db, host):
    """The offerer holds the listing's row lock, which every slot booking takes before any
    unit: a booking that arrives meanwhile waits, then finds the oldest waiter's hold."""
    listing_id = await space(db, host)
    booked = await taken(db, listing_id, at(16))
    oldest = await join(db, listing_id, at(16))
    younger = await join(db, listing_id, at(16))
    await set_status(db, booked, "CANCELLED")

    async with db.transaction() as session:
        offered = await offer_freed_units(session=session, listing_id=listing_id)
        booking = asyncio.create_task(_book(db, listing_id, at(16)))
        await asyncio.sleep(0.5)
        assert not booking.done()

    assert [row.id for row in offered] == [oldest.id]
    assert await asyncio.wait_for(booking, timeout=5) is False
    assert (await entry(db, younger.id)).status == "WAITING"
