"""An expired hold never blocks a booking, under concurrency too (issue 16, item 4).

A listing whose every unit is taken by overdue holds (expired, not yet swept) is booked by
ten guests at once, with and without the sweep running at the same moment: every booking
that fits succeeds, and the units booked never exceed the units there are. The slot
equivalent follows. Real concurrent transactions through the flows the API calls.
"""

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bookwell.core.db import Database
from bookwell.core.errors import DomainError
from bookwell.flows import booking as booking_flows
from bookwell.flows import slots as slot_flows
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.payments import BuiltinProvider
from bookwell.services.slots.slots import NewSlotBooking
from tests.factories import MANY_HOLDS, book, make_listing, make_slot_listing, make_user
from tests.support.database import inventory_faults, over_allocated_nights

UNITS = 20
GUESTS = 10
ROUNDS = 5


async def make_overdue(db: Database, listing_id) -> None:
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE reservations SET expires_at = now() - interval '1 minute' "
                "WHERE listing_id = :id AND status = 'PENDING'"
            ),
            {"id": listing_id},
        )


async def fill_with_overdue_holds(db: Database, listing_id, start: date) -> None:
    """Every unit of the listing held on [start, start + 3) by holds that are overdue."""
    for _ in range(UNITS // 4):
        await book(db, None, listing_id, start, nights=3, quantity=4)
    await make_overdue(db, listing_id)


async def try_book(db: Database, guest: Principal, data: NewReservation) -> str:
    try:
        await booking_flows.book(db, guest=guest, data=data)
    except DomainError as error:
        return error.code.value
    return "OK"


async def sweeping(db: Database, times: int) -> None:
    """The scheduler's sweep (flows.booking.expire_overdue_holds), over and over."""
    for _ in range(times):
        await booking_flows.expire_overdue_holds(db)
        await asyncio.sleep(0)


async def live_units(db: Database, listing_id, start: date) -> int:
    """Units taken on the first night by holds that still count (not overdue)."""
    async with db.read() as session:
        return (
            await session.execute(
                text("""
                    SELECT coalesce(sum(quantity), 0) FROM reservations
                     WHERE listing_id = :id AND start_date <= :night AND end_date > :night
                       AND (status IN ('CONFIRMED', 'ACTIVE')
                            OR (status = 'PENDING' AND expires_at > now()))"""),
                {"id": listing_id, "night": start},
            )
        ).scalar_one()


async def stay_rounds(db: Database, host: Principal, *, with_sweep: bool, quantity: int) -> None:
    listing_id = await make_listing(db, host, units=UNITS, **MANY_HOLDS)
    guests = [await make_user(db, Role.GUEST) for _ in range(GUESTS)]
    fits = min(GUESTS, UNITS // quantity)
    for n in range(ROUNDS):
        start = date.today() + timedelta(days=30 + 5 * n)
        await fill_with_overdue_holds(db, listing_id, start)
        data = NewReservation(listing_id, start, nights=3, quantity=quantity)

        bookings = asyncio.gather(*(try_book(db, guest, data) for guest in guests))
        if with_sweep:
            answers, _ = await asyncio.gather(bookings, sweeping(db, 5))
        else:
            answers = await bookings

        assert answers.count("OK") == fits, (n, answers)
        assert set(answers) <= {"OK", "UNAVAILABLE"}, (n, answers)
        assert await live_units(db, listing_id, start) == fits * quantity <= UNITS
        assert await over_allocated_nights(db) == []
        assert await inventory_faults(db) == []


async def test_ten_guests_take_units_held_by_overdue_holds(db, host):
    await stay_rounds(db, host, with_sweep=False, quantity=2)


async def test_ten_guests_and_a_sweep_at_once(db, host):
    await stay_rounds(db, host, with_sweep=True, quantity=2)


async def test_more_asked_than_there_is_books_exactly_what_fits(db, host):
    # 10 guests x 3 units on 20 units: 6 fit, the other 4 are rightly refused (2 left).
    await stay_rounds(db, host, with_sweep=True, quantity=3)


async def test_changing_dates_onto_overdue_holds_succeeds(db, host, guest):
    listing_id = await make_listing(db, host, units=2, **MANY_HOLDS)
    first = date.today() + timedelta(days=30)
    mine = await book(db, guest, listing_id, first, nights=2, confirmed=True)
    later = first + timedelta(days=10)
    await book(db, None, listing_id, later, nights=2, quantity=2)
    await make_overdue(db, listing_id)

    moved = await booking_flows.change_dates(
        db,
        principal=guest,
        reservation_id=mine.id,
        start_date=later,
        nights=2,
        provider=BuiltinProvider(),
    )

    assert moved.start_date == later
    assert await inventory_faults(db) == []


BERLIN = ZoneInfo("Europe/Berlin")


async def try_book_slot(db: Database, guest: Principal, data: NewSlotBooking) -> str:
    try:
        await slot_flows.book_slot(db, guest=guest, data=data)
    except DomainError as error:
        return error.code.value
    return "OK"


async def test_ten_guests_take_slot_units_held_by_overdue_holds(db, host):
    listing_id = await make_slot_listing(db, host, units=UNITS, **MANY_HOLDS)
    guests = [await make_user(db, Role.GUEST) for _ in range(GUESTS)]
    holder = await make_user(db, Role.GUEST)
    for n in range(ROUNDS):
        day = date.today() + timedelta(days=30 + n)
        at = datetime.combine(day, time(10), BERLIN)
        for _ in range(UNITS // 4):
            await slot_flows.book_slot(
                db, guest=holder, data=NewSlotBooking(listing_id, at, quantity=4)
            )
        await make_overdue(db, listing_id)
        data = NewSlotBooking(listing_id, at, quantity=2)

        answers, _ = await asyncio.gather(
            asyncio.gather(*(try_book_slot(db, guest, data) for guest in guests)),
            sweeping(db, 5),
        )

        assert answers == ["OK"] * GUESTS, (n, answers)
        async with db.read() as session:
            holding = (
                await session.execute(
                    text(
                        "SELECT count(*) FROM reservation_units "
                        "WHERE listing_id = :id AND holding AND during @> CAST(:at AS timestamptz)"
                    ),
                    {"id": listing_id, "at": at},
                )
            ).scalar_one()
        assert holding == UNITS


async def test_an_overdue_hold_refused_nothing_for_a_whole_stay(db, host, guest):
    """The simplest case, one booker: the overdue hold is expired, and told, in its way."""
    listing_id = await make_listing(db, host, units=1)
    start = date.today() + timedelta(days=30)
    overdue = await book(db, None, listing_id, start, nights=3)
    await make_overdue(db, listing_id)

    mine = await booking_flows.book(
        db, guest=guest, data=NewReservation(listing_id, start + timedelta(days=1), nights=1)
    )

    async with db.read() as session:
        status, told = (
            await session.execute(
                text(
                    "SELECT status, (SELECT count(*) FROM outbox WHERE reservation_id = r.id "
                    "AND event = 'reservation.expired') FROM reservations r WHERE id = :id"
                ),
                {"id": overdue.id},
            )
        ).one()
    assert (status, told) == ("EXPIRED", 1)
    assert mine.quantity == 1
