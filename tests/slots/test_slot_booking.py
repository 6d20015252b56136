"""Time slots: booking against the database."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.core.pagination import page_request
from bookwell.models import ListingKind
from bookwell.services.booking.reservations import NewReservation, create_reservation
from bookwell.services.listings.listings import ListingFilter, listings_by_ids
from bookwell.services.listings.units import SlotSettings, TableSpec
from bookwell.services.slots import slots as slot_service
from bookwell.services.slots.search import SlotQuestion, free_slots, slot_listings
from bookwell.services.slots.slots import NewSlotBooking
from tests.factories import MANY_HOLDS, book_slot, make_listing, make_slot_listing
from tests.slots.slot_clock import (
    NEW_YORK,
    NOW,
    berlin,
    utc,
)


async def restaurant(db, host, tables=(2, 4, 4, 6, 8), **fields):
    settings = SlotSettings(
        opens_at=fields.pop("opens_at", time(18)),
        closes_at=fields.pop("closes_at", time(23)),
        sitting_minutes=fields.pop("sitting_minutes", 120),
        tables=tuple(TableSpec(seats) for seats in tables),
    )
    return await make_listing(
        db,
        host,
        kind=ListingKind.RESTAURANT,
        timezone=fields.pop("timezone", "Europe/Berlin"),
        nightly_price=fields.pop("nightly_price", "0"),
        slots=settings,
        **{**MANY_HOLDS, **fields},  # these tests hold many tables at once on purpose
    )


async def refused(db, guest, listing_id, starts_at, ends_at=None, **fields) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await book_slot(db, guest, listing_id, starts_at, ends_at, **fields, now=NOW)
    return raised.value


async def seats_taken(db, reservation_id) -> list[int]:
    async with db.read() as session:
        rows = await session.execute(
            text(
                "SELECT u.seats FROM reservation_units r JOIN listing_units u ON u.id = r.unit_id "
                "WHERE r.reservation_id = :id"
            ),
            {"id": reservation_id},
        )
        return [row.seats for row in rows]


async def test_the_smallest_free_table_that_seats_the_party(db, host, guest):
    listing_id = await restaurant(db, host)
    at = berlin(2031, 6, 6, 19)
    made = [await book_slot(db, guest, listing_id, at, party_size=3, now=NOW) for _ in range(3)]
    assert [await seats_taken(db, r.id) for r in made] == [[4], [4], [6]]
    first = made[0]
    assert (first.status.value, first.party_size, first.quantity) == ("PENDING", 3, 1)
    assert (first.starts_at, first.ends_at) == (utc(2031, 6, 6, 17), utc(2031, 6, 6, 19))
    assert (first.start_date, first.end_date) == (date(2031, 6, 6), date(2031, 6, 7))
    assert first.expires_at is not None
    # The 2-seater stays for a couple; then only the 8 fits three more.
    assert await seats_taken(
        db, (await book_slot(db, guest, listing_id, at, party_size=2, now=NOW)).id
    ) == [2]
    assert await seats_taken(
        db, (await book_slot(db, guest, listing_id, at, party_size=3, now=NOW)).id
    ) == [8]
    error = await refused(db, guest, listing_id, at, party_size=1)
    assert error.code is ErrorCode.UNAVAILABLE
    assert "No table for 1" in error.message


async def test_a_party_larger_than_every_table_is_invalid(db, host, guest):
    listing_id = await restaurant(db, host)
    error = await refused(db, guest, listing_id, berlin(2031, 6, 6, 19), party_size=9)
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, ("partySize",))
    assert "largest table here seats 8" in error.message
    error = await refused(db, guest, listing_id, berlin(2031, 6, 6, 19))
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, ("partySize",))


async def test_adjacent_slots_touch_overlapping_ones_are_refused(db, host, guest):
    listing_id = await make_slot_listing(db, host, **MANY_HOLDS)  # one guest, many slots
    await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 10), berlin(2031, 6, 6, 11), now=NOW)
    await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 11), berlin(2031, 6, 6, 13), now=NOW)
    await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 9), now=NOW)
    for start, end in [(10, 11), (12, 14), (9, 18)]:
        error = await refused(
            db, guest, listing_id, berlin(2031, 6, 6, start), berlin(2031, 6, 6, end)
        )
        assert error.code is ErrorCode.UNAVAILABLE


@pytest.mark.parametrize("status", ["CANCELLED", "EXPIRED", "COMPLETED"])
async def test_a_released_reservation_frees_its_table(db, host, guest, status):
    listing_id = await restaurant(db, host, tables=(4,))
    at = berlin(2031, 6, 6, 19)
    first = await book_slot(db, guest, listing_id, at, party_size=4, now=NOW)
    assert (await refused(db, guest, listing_id, at, party_size=2)).code is ErrorCode.UNAVAILABLE
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = :status WHERE id = :id"),
            {"status": status, "id": first.id},
        )
    again = await book_slot(db, guest, listing_id, at, party_size=2, now=NOW)
    assert await seats_taken(db, again.id) == [4]


async def test_an_overdue_hold_is_expired_by_the_next_booking(db, host, guest):
    listing_id = await restaurant(db, host, tables=(4,))
    at = berlin(2031, 6, 6, 19)
    first = await book_slot(db, guest, listing_id, at, party_size=4, now=NOW)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": first.id},
        )
    await book_slot(db, guest, listing_id, at, party_size=4, now=NOW)
    async with db.read() as session:
        status = await session.scalar(
            text("SELECT status FROM reservations WHERE id = :id"), {"id": first.id}
        )
    assert status == "EXPIRED"


async def test_the_database_refuses_overlaps_whoever_writes(db, host, guest):
    listing_id = await restaurant(db, host, tables=(4,))
    first = await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 19), party_size=4, now=NOW)
    later = await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 21), party_size=4, now=NOW)
    with pytest.raises(Exception, match="ex_reservation_units_no_overlap"):
        async with db.transaction() as session:
            await session.execute(
                text(
                    "UPDATE reservation_units SET during = tstzrange("
                    "lower(during) - interval '1 hour', upper(during) - interval '1 hour') "
                    "WHERE reservation_id = :id"
                ),
                {"id": later.id},
            )
    # A cancelled reservation cannot take its table back once someone else has it.
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"), {"id": first.id}
        )
    await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 19), party_size=4, now=NOW)
    with pytest.raises(Exception, match="ex_reservation_units_no_overlap"):
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE reservations SET status = 'CONFIRMED' WHERE id = :id"),
                {"id": first.id},
            )


async def test_quantity_takes_several_units_and_prices_per_slot(db, host, guest):
    listing_id = await make_slot_listing(db, host, units=3, kind=ListingKind.EQUIPMENT)
    made = await book_slot(
        db, guest, listing_id, berlin(2031, 6, 6, 10), berlin(2031, 6, 6, 13), quantity=2, now=NOW
    )
    assert made.total_amount == Decimal("180.00")  # 30 x 3 slots x 2 items
    item = made.price_snapshot["lineItems"][0]
    assert (item["kind"], item["quantity"], item["unitPrice"], item["amount"]) == (
        "SLOT",
        6,
        "30.00",
        "180.00",
    )
    assert made.price_snapshot["timezone"] == "Europe/Berlin"
    assert made.price_snapshot["policy"] == {
        "freeCancellationDays": 1,
        "lateRefundPercent": 50,
        "noShowRefundPercent": 0,
    }
    error = await refused(
        db, guest, listing_id, berlin(2031, 6, 6, 12), berlin(2031, 6, 6, 14), quantity=2
    )
    assert error.code is ErrorCode.UNAVAILABLE
    await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 12), berlin(2031, 6, 6, 14), now=NOW)
    error = await refused(db, guest, listing_id, berlin(2031, 6, 6, 10), quantity=4)
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, ("quantity",))


async def test_book_across_berlin_spring_forward(db, host, guest):
    listing_id = await make_slot_listing(db, host, opens_at=None, closes_at=None, **MANY_HOLDS)
    night = await book_slot(
        db, guest, listing_id, berlin(2031, 3, 30, 1), berlin(2031, 3, 30, 3), now=NOW
    )
    assert (night.starts_at, night.ends_at) == (utc(2031, 3, 30, 0), utc(2031, 3, 30, 1))
    after = await book_slot(db, guest, listing_id, berlin(2031, 3, 30, 3), now=NOW)
    assert after.starts_at == night.ends_at
    before = await book_slot(db, guest, listing_id, berlin(2031, 3, 30, 0), now=NOW)
    assert before.ends_at == night.starts_at


async def test_book_across_berlin_fall_back(db, host, guest):
    listing_id = await make_slot_listing(db, host, opens_at=None, closes_at=None)
    two = await book_slot(db, guest, listing_id, berlin(2031, 10, 26, 2), now=NOW)
    assert (two.starts_at, two.ends_at) == (utc(2031, 10, 26, 0), utc(2031, 10, 26, 2))
    error = await refused(db, guest, listing_id, berlin(2031, 10, 26, 2, fold=1))
    assert (error.code, error.field) == (ErrorCode.INVALID_DATES, ("startsAt",))
    three = await book_slot(db, guest, listing_id, berlin(2031, 10, 26, 3), now=NOW)
    assert three.starts_at == two.ends_at


async def test_new_york_restaurant_on_the_night_clocks_fall_back(db, host, guest):
    listing_id = await restaurant(
        db, host, tables=(4,), timezone="America/New_York", opens_at=time(20), closes_at=time(3)
    )
    late = datetime(2031, 11, 2, 0, tzinfo=NEW_YORK)
    sitting = await book_slot(db, guest, listing_id, late, party_size=2, now=NOW)
    # 00:00 EDT (04:00Z) to 02:00 EST (07:00Z): two wall-clock hours, three real ones.
    assert (sitting.starts_at, sitting.ends_at) == (utc(2031, 11, 2, 4), utc(2031, 11, 2, 7))
    assert sitting.start_date == date(2031, 11, 2)
    async with db.read() as session:
        found = await free_slots(
            session=session,
            listings=await listings(session, listing_id),
            question=SlotQuestion(date(2031, 11, 1), party_size=2),
            now=NOW,
        )
    starts = [slot.starts_at.replace(tzinfo=None) for slot in found[listing_id]]
    # 23:00 and 00:00 overlap the sitting; 01:00 (01:00 EDT to 03:00 EST) too.
    assert starts == [datetime(2031, 11, 1, h) for h in (20, 21, 22)]


async def listings(session, *ids):
    return await listings_by_ids(session=session, ids=ids)


async def test_search_lists_exactly_the_free_start_times(db, host, guest):
    listing_id = await restaurant(db, host, tables=(2, 4, 4))  # 18:00-23:00, 2 h sittings
    day = date(2031, 6, 6)
    await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 19), party_size=4, now=NOW)
    await book_slot(db, guest, listing_id, berlin(2031, 6, 6, 18), party_size=3, now=NOW)

    async def free(party: int, now: datetime = NOW) -> list[tuple[int, int]]:
        async with db.read() as session:
            found = await free_slots(
                session=session,
                listings=await listings(session, listing_id),
                question=SlotQuestion(day, party_size=party),
                now=now,
            )
        return [(slot.starts_at.hour, slot.free_units) for slot in found[listing_id]]

    # The fours are taken 18-20 and 19-21.
    assert await free(4) == [(20, 1), (21, 2)]
    assert await free(2) == [(18, 1), (19, 1), (20, 2), (21, 3)]
    assert await free(5) == []
    assert await free(2, now=utc(2031, 6, 6, 18)) == [(20, 2), (21, 3)]  # 20:00 local


async def test_search_by_filter_skips_stays_and_lists_each_listing(db, host, guest):
    table = await restaurant(db, host, tables=(4,), city="Berlin")
    room = await make_slot_listing(db, host, city="Berlin")
    await make_listing(db, host, city="Berlin")  # a stay
    await make_slot_listing(db, host, city="Paris")
    async with db.read() as session:
        page = await slot_listings(
            session=session, filter=ListingFilter(city="berlin"), page=page_request(20, None)
        )
        found = await free_slots(
            session=session,
            listings=page.rows,
            question=SlotQuestion(date(2031, 6, 6), party_size=6),
            now=NOW,
        )
    assert [row.id for row in page.rows] == [table, room]
    assert found[table] == []  # no table seats six
    assert [slot.starts_at.hour for slot in found[room]] == list(range(9, 18))


async def test_slot_bookings_leave_stay_inventory_alone(db, host, guest):
    stay_id = await make_listing(db, host, units=2)
    table = await restaurant(db, host, tables=(4,))
    async with db.transaction() as session:
        await create_reservation(
            session=session,
            guest=guest,
            data=NewReservation(stay_id, date.today() + timedelta(days=10), nights=2),
        )

    async def nights() -> list[tuple]:
        async with db.read() as session:
            rows = await session.execute(
                text("SELECT listing_id, night, booked FROM listing_nights ORDER BY 1, 2")
            )
            return [tuple(row) for row in rows]

    before = await nights()
    assert len(before) == 2
    made = await book_slot(db, guest, table, berlin(2031, 6, 6, 19), party_size=2, now=NOW)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"), {"id": made.id}
        )
    await book_slot(db, guest, table, berlin(2031, 6, 6, 19), party_size=2, now=NOW)
    assert await nights() == before


async def test_a_slot_keeps_its_time_range(db, host, guest):
    table = await restaurant(db, host, tables=(4,))
    made = await book_slot(db, guest, table, berlin(2031, 6, 6, 19), party_size=2, now=NOW)
    with pytest.raises(Exception, match="cannot change its time range"):
        async with db.transaction() as session:
            await session.execute(
                text(
                    "UPDATE reservations SET ends_at = ends_at + interval '1 hour' WHERE id = :id"
                ),
                {"id": made.id},
            )


async def test_stays_are_not_slots(db, host, guest):
    stay_id = await make_listing(db, host)
    error = await refused(db, guest, stay_id, berlin(2031, 6, 6, 19))
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, ("listingId",))


async def test_the_same_idempotency_key_returns_the_first_booking(db, host, guest):
    table = await restaurant(db, host, tables=(4, 4))
    data = NewSlotBooking(table, berlin(2031, 6, 6, 19), party_size=2)
    made = []
    for _ in range(2):
        async with db.transaction() as session:
            made.append(
                await slot_service.book_slot(
                    session=session, guest=guest, data=data, idempotency_key="k", now=NOW
                )
            )
    assert made[0].id == made[1].id
    with pytest.raises(DomainError) as raised:
        async with db.transaction() as session:
            other = NewSlotBooking(table, berlin(2031, 6, 6, 20), party_size=2)
            await slot_service.book_slot(
                session=session, guest=guest, data=other, idempotency_key="k", now=NOW
            )
    assert raised.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
