"""Time slots: wall-clock arithmetic across DST changes, and booking against the database."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bookwell.models import ListingKind
from bookwell.services.errors import DomainError, ErrorCode
from bookwell.services.listings import ListingFilter, listings_by_ids
from bookwell.services.pagination import page_request
from bookwell.services.reservations import NewReservation, create_reservation
from bookwell.services.slot_search import SlotQuestion, free_slots, slot_listings
from bookwell.services.slot_times import (
    Hours,
    check_bookable_now,
    day_slots,
    instant,
    requested_slot,
)
from bookwell.services.slot_units import SlotSettings, TableSpec
from bookwell.services.slots import NewSlotBooking, book_slot
from tests.conftest import make_listing

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
ALL_DAY = Hours(None, None)
# Bookings below are made "on" this day, so 2031's DST days are in the future and in range.
NOW = datetime(2031, 3, 1, 12, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_contiguous(slots) -> None:
    for before, after in pairwise(slots):
        assert before.ends_at == after.starts_at, (before, after)


# --- wall-clock arithmetic (no database) ---


def test_berlin_spring_forward_has_no_0200_slot_and_no_gap():
    slots = day_slots(date(2031, 3, 30), BERLIN, ALL_DAY, 60, 60)
    starts = [slot.local_start.time() for slot in slots]
    assert len(slots) == 23
    assert time(2) not in starts
    assert_contiguous(slots)
    assert slots[0].starts_at == utc(2031, 3, 29, 23)  # 00:00 CET
    assert slots[-1].ends_at == utc(2031, 3, 30, 22)  # 24:00 CEST
    one, three = slots[1], slots[2]
    assert (one.local_start.time(), one.starts_at, one.ends_at) == (
        time(1),
        utc(2031, 3, 30, 0),
        utc(2031, 3, 30, 1),  # 02:00 CET does not exist: the instant clocks jump to 03:00 CEST
    )
    assert (three.local_start.time(), three.starts_at) == (time(3), utc(2031, 3, 30, 1))


def test_berlin_fall_back_slot_covers_both_occurrences_of_0200():
    slots = day_slots(date(2031, 10, 26), BERLIN, ALL_DAY, 60, 60)
    assert len(slots) == 24
    assert_contiguous(slots)
    two = next(slot for slot in slots if slot.local_start.time() == time(2))
    # 02:00 CEST (00:00Z) to 03:00 CET (02:00Z): one wall-clock hour, two real ones.
    assert (two.starts_at, two.ends_at) == (utc(2031, 10, 26, 0), utc(2031, 10, 26, 2))
    assert two.minutes == 60
    assert slots[-1].ends_at - slots[0].starts_at == timedelta(hours=25)


def test_new_york_half_hour_grid_on_both_dst_days():
    spring = day_slots(date(2031, 3, 9), NEW_YORK, ALL_DAY, 30, 30)
    assert len(spring) == 46
    assert {time(2), time(2, 30)}.isdisjoint(slot.local_start.time() for slot in spring)
    assert_contiguous(spring)
    fall = day_slots(date(2031, 11, 2), NEW_YORK, ALL_DAY, 30, 30)
    assert len(fall) == 48
    assert_contiguous(fall)
    # 01:30 EDT (05:30Z) lasts until 02:00 EST (07:00Z): the repeated hour and a half.
    half_past_one = next(slot for slot in fall if slot.local_start.time() == time(1, 30))
    assert (half_past_one.starts_at, half_past_one.ends_at) == (
        utc(2031, 11, 2, 5, 30),
        utc(2031, 11, 2, 7),
    )


def test_late_restaurant_on_the_night_clocks_spring_forward():
    # Open 18:00 to 04:00, two-hour sittings on the hour: the night of 29 to 30 March 2031.
    slots = day_slots(date(2031, 3, 29), BERLIN, Hours(time(18), time(4)), 60, 120)
    starts = [slot.local_start for slot in slots]
    assert starts == [datetime(2031, 3, 29, h) for h in range(18, 24)] + [
        datetime(2031, 3, 30, 0),
        datetime(2031, 3, 30, 1),
    ]
    midnight, one = slots[-2], slots[-1]
    assert (midnight.starts_at, midnight.ends_at) == (utc(2031, 3, 29, 23), utc(2031, 3, 30, 1))
    # 01:00 to 03:00 on the wall is one real hour that night.
    assert (one.starts_at, one.ends_at) == (utc(2031, 3, 30, 0), utc(2031, 3, 30, 1))


def test_a_skipped_wall_clock_time_means_the_instant_of_the_jump():
    for minute in (0, 1, 30, 59):
        assert instant(datetime(2031, 3, 30, 2, minute), BERLIN) == utc(2031, 3, 30, 1)
    assert instant(datetime(2031, 3, 30, 3, 0), BERLIN) == utc(2031, 3, 30, 1)
    assert instant(datetime(2031, 10, 26, 2, 30), BERLIN) == utc(2031, 10, 26, 0, 30)


DAYTIME = Hours(time(9), time(22))


def requested(starts_at, ends_at=None, hours=DAYTIME, step=60, default=60):
    return requested_slot(
        starts_at=starts_at,
        ends_at=ends_at,
        zone=BERLIN,
        hours=hours,
        step_minutes=step,
        default_minutes=default,
    )


def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)


def test_requested_slot_on_the_grid():
    slot = requested(berlin(2031, 6, 2, 10), berlin(2031, 6, 2, 12))
    assert (slot.starts_at, slot.ends_at, slot.minutes) == (
        utc(2031, 6, 2, 8),
        utc(2031, 6, 2, 10),
        120,
    )
    # The same instants in another offset are the same request.
    assert requested(utc(2031, 6, 2, 8), utc(2031, 6, 2, 10)) == slot
    assert requested(berlin(2031, 6, 2, 19), default=150).ends_at == utc(2031, 6, 2, 19, 30)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        (berlin(2031, 6, 2, 10, 30), None, "startsAt"),  # off the grid
        (berlin(2031, 6, 2, 8), None, "startsAt"),  # before opening
        (berlin(2031, 6, 2, 22), None, "startsAt"),  # at closing
        (berlin(2031, 6, 2, 21), berlin(2031, 6, 2, 23), "endsAt"),  # after closing
        (berlin(2031, 6, 2, 10), berlin(2031, 6, 2, 10), "endsAt"),  # empty
        (berlin(2031, 6, 2, 10), berlin(2031, 6, 2, 9), "endsAt"),  # backwards
        (berlin(2031, 6, 2, 10), berlin(2031, 6, 2, 10, 30), "endsAt"),  # half a slot
        (datetime(2031, 6, 2, 10), None, "startsAt"),  # no offset
    ],
)
def test_requested_slot_refusals(starts_at, ends_at, field):
    with pytest.raises(DomainError) as raised:
        requested(starts_at, ends_at)
    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID_DATES, field)


def test_second_occurrence_of_a_repeated_time_is_refused_with_the_first():
    all_day = Hours(None, None)
    first = requested(berlin(2031, 10, 26, 2), hours=all_day)
    assert first.starts_at == utc(2031, 10, 26, 0)
    with pytest.raises(DomainError) as raised:
        requested(berlin(2031, 10, 26, 2, fold=1), hours=all_day)
    assert raised.value.field == "startsAt"
    assert "2031-10-26T00:00:00+00:00" in raised.value.message


def test_after_midnight_belongs_to_the_evening_before():
    late = Hours(time(18), time(2))
    slot = requested(berlin(2031, 6, 3, 0), default=120, hours=late)
    assert slot.ends_at == utc(2031, 6, 3, 0)  # 02:00 CEST
    with pytest.raises(DomainError):
        requested(berlin(2031, 6, 3, 1), default=120, hours=late)  # would end at 03:00


def test_not_in_the_past_and_at_most_a_year_ahead():
    slot = requested(berlin(2031, 6, 2, 10))
    check_bookable_now(slot, utc(2031, 6, 2, 8))  # starts right now: fine
    with pytest.raises(DomainError):
        check_bookable_now(slot, utc(2031, 6, 2, 8, 0, 1))
    with pytest.raises(DomainError):
        check_bookable_now(slot, utc(2030, 5, 1))


# --- booking against the database ---


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
        **fields,
    )


async def space(db, host, units=1, **fields):
    settings = SlotSettings(
        opens_at=fields.pop("opens_at", time(9)),
        closes_at=fields.pop("closes_at", time(18)),
        slot_minutes=fields.pop("slot_minutes", 60),
    )
    return await make_listing(
        db,
        host,
        kind=fields.pop("kind", ListingKind.SPACE),
        timezone=fields.pop("timezone", "Europe/Berlin"),
        nightly_price=fields.pop("nightly_price", "30.00"),
        units=units,
        slots=settings,
        **fields,
    )


async def book(db, guest, listing_id, starts_at, ends_at=None, **fields):
    data = NewSlotBooking(listing_id, starts_at, ends_at, **fields)
    async with db.transaction() as session:
        return await book_slot(session=session, guest=guest, data=data, now=NOW)


async def refused(db, guest, listing_id, starts_at, ends_at=None, **fields) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await book(db, guest, listing_id, starts_at, ends_at, **fields)
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
    made = [await book(db, guest, listing_id, at, party_size=3) for _ in range(3)]
    assert [await seats_taken(db, r.id) for r in made] == [[4], [4], [6]]
    first = made[0]
    assert (first.status.value, first.party_size, first.quantity) == ("PENDING", 3, 1)
    assert (first.starts_at, first.ends_at) == (utc(2031, 6, 6, 17), utc(2031, 6, 6, 19))
    assert (first.start_date, first.end_date) == (date(2031, 6, 6), date(2031, 6, 7))
    assert first.expires_at is not None
    # The 2-seater stays for a couple; then only the 8 fits three more.
    assert await seats_taken(db, (await book(db, guest, listing_id, at, party_size=2)).id) == [2]
    assert await seats_taken(db, (await book(db, guest, listing_id, at, party_size=3)).id) == [8]
    error = await refused(db, guest, listing_id, at, party_size=1)
    assert error.code is ErrorCode.UNAVAILABLE
    assert "No table for 1" in error.message


async def test_a_party_larger_than_every_table_is_invalid(db, host, guest):
    listing_id = await restaurant(db, host)
    error = await refused(db, guest, listing_id, berlin(2031, 6, 6, 19), party_size=9)
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, "partySize")
    assert "largest table here seats 8" in error.message
    error = await refused(db, guest, listing_id, berlin(2031, 6, 6, 19))
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, "partySize")


async def test_adjacent_slots_touch_overlapping_ones_are_refused(db, host, guest):
    listing_id = await space(db, host)
    await book(db, guest, listing_id, berlin(2031, 6, 6, 10), berlin(2031, 6, 6, 11))
    await book(db, guest, listing_id, berlin(2031, 6, 6, 11), berlin(2031, 6, 6, 13))
    await book(db, guest, listing_id, berlin(2031, 6, 6, 9))
    for start, end in [(10, 11), (12, 14), (9, 18)]:
        error = await refused(
            db, guest, listing_id, berlin(2031, 6, 6, start), berlin(2031, 6, 6, end)
        )
        assert error.code is ErrorCode.UNAVAILABLE


@pytest.mark.parametrize("status", ["CANCELLED", "EXPIRED", "COMPLETED"])
async def test_a_released_reservation_frees_its_table(db, host, guest, status):
    listing_id = await restaurant(db, host, tables=(4,))
    at = berlin(2031, 6, 6, 19)
    first = await book(db, guest, listing_id, at, party_size=4)
    assert (await refused(db, guest, listing_id, at, party_size=2)).code is ErrorCode.UNAVAILABLE
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = :status WHERE id = :id"),
            {"status": status, "id": first.id},
        )
    again = await book(db, guest, listing_id, at, party_size=2)
    assert await seats_taken(db, again.id) == [4]


async def test_an_overdue_hold_is_expired_by_the_next_booking(db, host, guest):
    listing_id = await restaurant(db, host, tables=(4,))
    at = berlin(2031, 6, 6, 19)
    first = await book(db, guest, listing_id, at, party_size=4)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": first.id},
        )
    await book(db, guest, listing_id, at, party_size=4)
    async with db.read() as session:
        status = await session.scalar(
            text("SELECT status FROM reservations WHERE id = :id"), {"id": first.id}
        )
    assert status == "EXPIRED"


async def test_the_database_refuses_overlaps_whoever_writes(db, host, guest):
    listing_id = await restaurant(db, host, tables=(4,))
    first = await book(db, guest, listing_id, berlin(2031, 6, 6, 19), party_size=4)
    later = await book(db, guest, listing_id, berlin(2031, 6, 6, 21), party_size=4)
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
    await book(db, guest, listing_id, berlin(2031, 6, 6, 19), party_size=4)
    with pytest.raises(Exception, match="ex_reservation_units_no_overlap"):
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE reservations SET status = 'CONFIRMED' WHERE id = :id"),
                {"id": first.id},
            )


async def test_quantity_takes_several_units_and_prices_per_slot(db, host, guest):
    listing_id = await space(db, host, units=3, kind=ListingKind.EQUIPMENT)
    made = await book(
        db, guest, listing_id, berlin(2031, 6, 6, 10), berlin(2031, 6, 6, 13), quantity=2
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
    assert made.price_snapshot["policy"] == {"freeCancellationDays": 1, "lateRefundPercent": 50}
    error = await refused(
        db, guest, listing_id, berlin(2031, 6, 6, 12), berlin(2031, 6, 6, 14), quantity=2
    )
    assert error.code is ErrorCode.UNAVAILABLE
    await book(db, guest, listing_id, berlin(2031, 6, 6, 12), berlin(2031, 6, 6, 14))
    error = await refused(db, guest, listing_id, berlin(2031, 6, 6, 10), quantity=4)
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, "quantity")


async def test_book_across_berlin_spring_forward(db, host, guest):
    listing_id = await space(db, host, opens_at=None, closes_at=None)
    night = await book(db, guest, listing_id, berlin(2031, 3, 30, 1), berlin(2031, 3, 30, 3))
    assert (night.starts_at, night.ends_at) == (utc(2031, 3, 30, 0), utc(2031, 3, 30, 1))
    after = await book(db, guest, listing_id, berlin(2031, 3, 30, 3))
    assert after.starts_at == night.ends_at
    before = await book(db, guest, listing_id, berlin(2031, 3, 30, 0))
    assert before.ends_at == night.starts_at


async def test_book_across_berlin_fall_back(db, host, guest):
    listing_id = await space(db, host, opens_at=None, closes_at=None)
    two = await book(db, guest, listing_id, berlin(2031, 10, 26, 2))
    assert (two.starts_at, two.ends_at) == (utc(2031, 10, 26, 0), utc(2031, 10, 26, 2))
    error = await refused(db, guest, listing_id, berlin(2031, 10, 26, 2, fold=1))
    assert (error.code, error.field) == (ErrorCode.INVALID_DATES, "startsAt")
    three = await book(db, guest, listing_id, berlin(2031, 10, 26, 3))
    assert three.starts_at == two.ends_at


async def test_new_york_restaurant_on_the_night_clocks_fall_back(db, host, guest):
    listing_id = await restaurant(
        db, host, tables=(4,), timezone="America/New_York", opens_at=time(20), closes_at=time(3)
    )
    late = datetime(2031, 11, 2, 0, tzinfo=NEW_YORK)
    sitting = await book(db, guest, listing_id, late, party_size=2)
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
    await book(db, guest, listing_id, berlin(2031, 6, 6, 19), party_size=4)
    await book(db, guest, listing_id, berlin(2031, 6, 6, 18), party_size=3)

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
    room = await space(db, host, city="Berlin")
    await make_listing(db, host, city="Berlin")  # a stay
    await space(db, host, city="Paris")
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
    made = await book(db, guest, table, berlin(2031, 6, 6, 19), party_size=2)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"), {"id": made.id}
        )
    await book(db, guest, table, berlin(2031, 6, 6, 19), party_size=2)
    assert await nights() == before


async def test_a_slot_keeps_its_time_range(db, host, guest):
    table = await restaurant(db, host, tables=(4,))
    made = await book(db, guest, table, berlin(2031, 6, 6, 19), party_size=2)
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
    assert (error.code, error.field) == (ErrorCode.INVALID_INPUT, "listingId")


async def test_the_same_idempotency_key_returns_the_first_booking(db, host, guest):
    table = await restaurant(db, host, tables=(4, 4))
    data = NewSlotBooking(table, berlin(2031, 6, 6, 19), party_size=2)
    made = []
    for _ in range(2):
        async with db.transaction() as session:
            made.append(
                await book_slot(
                    session=session, guest=guest, data=data, idempotency_key="k", now=NOW
                )
            )
    assert made[0].id == made[1].id
    with pytest.raises(DomainError) as raised:
        async with db.transaction() as session:
            other = NewSlotBooking(table, berlin(2031, 6, 6, 20), party_size=2)
            await book_slot(session=session, guest=guest, data=other, idempotency_key="k", now=NOW)
    assert raised.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
