"""Races between reservation transitions, with real concurrent transactions.

Each race runs ROUNDS times over three schedules: one side's statement first while its
transaction stays open (the other side then waits for its lock, or skips it), the other
side first, and both at once. Whatever the interleaving, exactly one of two conflicting
transitions wins, the loser answers a typed error, and the inventory matches the
reservations.
"""

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.errors import ErrorCode
from bookwell.flows import booking as booking_flows
from bookwell.models import ReservationStatus, Role
from bookwell.services.booking import holds, lifecycle
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.payments import BuiltinProvider
from bookwell.services.payments.service import pay_reservation
from tests.factories import MANY_HOLDS, book, make_listing, make_user
from tests.support.database import inventory_faults
from tests.support.lifecycle_steps import (
    Outcome,
    Txn,
    Work,
    booked,
    day,
    finish,
    outcome_of,
    reservation,
    sql,
    until_waiting,
)

ROUNDS = 21
SCHEDULES = ("a_first", "b_first", "together")


async def race(
    db: Database, schedule: str, a: Work, b: Work, *, a_txn: Txn | None = None
) -> tuple[Outcome, Outcome]:
    """Run `a` and `b` in two transactions (`a` in `a_txn` when given, already begun)."""
    a_txn = a_txn or Txn(db)
    if schedule == "together":
        return tuple(await asyncio.gather(finish(a_txn, a), finish(Txn(db), b)))
    first, first_txn, second, second_txn = (
        (a, a_txn, b, Txn(db)) if schedule == "a_first" else (b, Txn(db), a, a_txn)
    )
    first_outcome = await first_txn.run(first)
    pending = second_txn.start(second)
    await until_waiting(db, pending)
    await first_txn.commit()
    second_outcome = await pending
    await second_txn.commit()
    if schedule == "a_first":
        return first_outcome, second_outcome
    return second_outcome, first_outcome


def check_order(schedule: str, a_won: bool) -> None:
    """With a fixed order the side that went first wins; `together` may go either way."""
    if schedule != "together":
        assert a_won == (schedule == "a_first"), schedule


def rounds() -> list[tuple[int, str]]:
    return [(n, SCHEDULES[n % len(SCHEDULES)]) for n in range(ROUNDS)]


async def now_of(session: AsyncSession) -> datetime:
    return (await session.execute(text("SELECT now()"))).scalar_one()


async def expiring_for(db: Database, reservation_id: uuid.UUID) -> Txn:
    """A transaction that began while the hold was alive, the hold expiring right after:
    its guards see a live hold, any transaction begun later sees an expired one."""
    txn = Txn(db)
    began = (await txn.run(now_of)).value
    await sql(
        db,
        "UPDATE reservations SET expires_at = :at WHERE id = :id",
        at=began + timedelta(microseconds=1),
        id=reservation_id,
    )
    return txn


def expire_all(session: AsyncSession) -> Awaitable[list]:
    return holds.expire_holds(session=session)


def expired_ids(outcome: Outcome) -> set[uuid.UUID]:
    return {row.id for row in outcome.value}


async def test_host_confirm_races_hold_expiry(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    await sql(db, "UPDATE listings SET instant_book = false WHERE id = :id", id=listing_id)
    provider = BuiltinProvider()
    for n, schedule in rounds():
        hold = (await book(db, guest, listing_id, day(30 + n))).id
        async with db.transaction() as session:
            await pay_reservation(
                session=session,
                principal=guest,
                reservation_id=hold,
                idempotency_key=f"pay-{n}",
                provider=provider,
            )
        confirm_txn = await expiring_for(db, hold)

        confirm, expire = await race(
            db,
            schedule,
            lambda s, hold=hold: lifecycle.confirm_reservation(
                session=s, principal=host, reservation_id=hold
            ),
            expire_all,
            a_txn=confirm_txn,
        )

        expired = hold in expired_ids(expire)
        assert confirm.won != expired, (schedule, confirm, expire)
        check_order(schedule, confirm.won)
        status = (await reservation(db, hold)).status
        if confirm.won:
            assert status is ReservationStatus.CONFIRMED
        else:
            assert confirm.code is ErrorCode.INVALID_STATE
            assert status is ReservationStatus.EXPIRED
        assert await booked(db, listing_id, day(30 + n)) == (1 if confirm.won else 0)
        assert await inventory_faults(db) == []


async def test_confirm_races_a_booking_that_expires_the_hold(db, host, guest):
    """The last unit, its hold just past its deadline: the host confirms it while a new
    booking (as the API books: it expires the overdue holds in its way first) wants the
    unit. Either the hold is confirmed and the booking refused, or the hold expired and the
    booking has the unit; never both, never neither. A booking that finds the overdue hold
    being confirmed waits for that transaction (services/booking/overdue.py)."""
    listing_id = await make_listing(db, host, units=1, nightly_price="0", **MANY_HOLDS)
    await sql(db, "UPDATE listings SET instant_book = false WHERE id = :id", id=listing_id)
    other = await make_user(db, Role.GUEST)
    for n, schedule in rounds():
        night = day(30 + n)
        hold = (await book(db, guest, listing_id, night)).id
        confirm_txn = await expiring_for(db, hold)
        data = NewReservation(listing_id=listing_id, start_date=night, nights=1)

        def confirming(s: AsyncSession, hold: uuid.UUID = hold) -> Awaitable[Any]:
            return lifecycle.confirm_reservation(session=s, principal=host, reservation_id=hold)

        def booking(data: NewReservation = data) -> Awaitable[Outcome]:
            return outcome_of(booking_flows.book(db, guest=other, data=data))

        if schedule == "a_first":  # the booking waits for the confirmation, then counts it
            confirm = await confirm_txn.run(confirming)
            pending = asyncio.ensure_future(booking())
            await until_waiting(db, pending)
            await confirm_txn.commit()
            booking_outcome = await pending
        elif schedule == "b_first":
            booking_outcome = await booking()
            confirm = await finish(confirm_txn, confirming)
        else:
            confirm, booking_outcome = await asyncio.gather(
                finish(confirm_txn, confirming), booking()
            )

        assert confirm.won != booking_outcome.won, (schedule, confirm, booking_outcome)
        check_order(schedule, confirm.won)
        status = (await reservation(db, hold)).status
        if confirm.won:
            assert booking_outcome.code is ErrorCode.UNAVAILABLE
            assert status is ReservationStatus.CONFIRMED
        else:
            assert confirm.code is ErrorCode.INVALID_STATE
            assert status is ReservationStatus.EXPIRED
            assert booking_outcome.value.status is ReservationStatus.PENDING
        assert await booked(db, listing_id, night) == 1
        assert await inventory_faults(db) == []


async def test_payment_races_hold_expiry(db, host, guest):
    """Odd rounds pay through the payment service (row lock, charge, mark_paid), even rounds
    call mark_paid alone; an expired hold is never charged."""
    listing_id = await make_listing(db, host, units=1)
    provider = BuiltinProvider()
    for n, schedule in rounds():
        hold = (await book(db, guest, listing_id, day(30 + n))).id
        pay_txn = await expiring_for(db, hold)

        def pay(s: AsyncSession, n: int = n, hold: uuid.UUID = hold) -> Awaitable[Any]:
            if n % 2:
                return pay_reservation(
                    session=s,
                    principal=guest,
                    reservation_id=hold,
                    idempotency_key=f"pay-{n}",
                    provider=provider,
                )
            return lifecycle.mark_paid(session=s, reservation_id=hold)

        paid, expire = await race(db, schedule, pay, expire_all, a_txn=pay_txn)

        expired = hold in expired_ids(expire)
        assert paid.won != expired, (schedule, paid, expire)
        check_order(schedule, paid.won)
        status = (await reservation(db, hold)).status
        payments = await sql(db, "SELECT status FROM payments WHERE reservation_id = :id", id=hold)
        if paid.won:
            assert status is ReservationStatus.CONFIRMED
            assert [p.status for p in payments] == (["PAID"] if n % 2 else [])
        else:
            assert paid.code is ErrorCode.INVALID_STATE
            assert status is ReservationStatus.EXPIRED
            assert payments == []
        assert await inventory_faults(db) == []


async def test_cancel_races_check_in(db, host, guest):
    listing_id = await make_listing(db, host, units=ROUNDS)
    for _, schedule in rounds():
        stay = (await book(db, guest, listing_id, day(0), paid=True)).id

        cancel, check_in = await race(
            db,
            schedule,
            lambda s, stay=stay: lifecycle.cancel_reservation(
                session=s, principal=guest, reservation_id=stay
            ),
            lambda s, stay=stay: lifecycle.check_in(session=s, principal=host, reservation_id=stay),
        )

        assert cancel.won != check_in.won, (schedule, cancel, check_in)
        check_order(schedule, cancel.won)
        loser = check_in if cancel.won else cancel
        assert loser.code is ErrorCode.INVALID_STATE
        status = (await reservation(db, stay)).status
        expected = ReservationStatus.CANCELLED if cancel.won else ReservationStatus.ACTIVE
        assert status is expected
        assert await inventory_faults(db) == []
    active = await sql(
        db,
        "SELECT count(*) AS n FROM reservations WHERE status = 'ACTIVE' AND listing_id = :l",
        l=listing_id,
    )
    assert await booked(db, listing_id, day(0)) == active[0].n


async def test_two_cancels_one_wins(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    for n, schedule in rounds():
        target = (await book(db, guest, listing_id, day(30 + n), nights=2, paid=n % 2 == 0)).id

        by_guest, by_host = await race(
            db,
            schedule,
            lambda s, target=target: lifecycle.cancel_reservation(
                session=s, principal=guest, reservation_id=target, reason="guest"
            ),
            lambda s, target=target: lifecycle.cancel_reservation(
                session=s, principal=host, reservation_id=target, reason="host"
            ),
        )

        assert by_guest.won != by_host.won, (schedule, by_guest, by_host)
        check_order(schedule, by_guest.won)
        loser = by_host if by_guest.won else by_guest
        assert loser.code is ErrorCode.INVALID_STATE
        row = await reservation(db, target)
        assert row.status is ReservationStatus.CANCELLED
        assert row.cancel_reason == ("guest" if by_guest.won else "host")
        assert await booked(db, listing_id, day(30 + n)) == 0
    assert await inventory_faults(db) == []


async def test_change_of_dates_races_cancel(db, host, guest):
    """Changed then cancelled, or cancelled and the change refused: in both the
    reservation ends CANCELLED holding nothing, on the old range or the new."""
    listing_id = await make_listing(db, host, units=1)
    for n, schedule in rounds():
        old, new = day(30 + 4 * n), day(32 + 4 * n)
        target = (await book(db, guest, listing_id, old, nights=2, paid=True)).id

        change, cancel = await race(
            db,
            schedule,
            lambda s, target=target, new=new: lifecycle.change_dates(
                session=s, principal=guest, reservation_id=target, start_date=new, nights=2
            ),
            lambda s, target=target: lifecycle.cancel_reservation(
                session=s, principal=host, reservation_id=target
            ),
        )

        assert cancel.won, (schedule, cancel)
        assert change.won or change.code is ErrorCode.INVALID_STATE, (schedule, change)
        check_order(schedule, change.won)
        row = await reservation(db, target)
        assert row.status is ReservationStatus.CANCELLED
        assert row.start_date == (new if change.won else old)
        for night in (old, old + timedelta(1), new, new + timedelta(1)):
            assert await booked(db, listing_id, night) == 0
        assert await inventory_faults(db) == []


async def test_two_changes_of_dates_into_the_last_unit(db, host, guest):
    listing_id = await make_listing(db, host, units=2, **MANY_HOLDS)
    for n, schedule in rounds():
        wanted, elsewhere = day(30 + 4 * n), day(32 + 4 * n)
        await book(db, guest, listing_id, wanted, nights=2, paid=True)  # one of the two units taken
        first = (await book(db, guest, listing_id, elsewhere, paid=True)).id
        second = (await book(db, guest, listing_id, elsewhere)).id
        before = {r: await reservation(db, r) for r in (first, second)}

        def move(s: AsyncSession, target: uuid.UUID, wanted: date = wanted) -> Awaitable[Any]:
            return lifecycle.change_dates(
                session=s, principal=guest, reservation_id=target, start_date=wanted, nights=2
            )

        a, b = await race(
            db,
            schedule,
            lambda s, first=first: move(s, first),
            lambda s, second=second: move(s, second),
        )

        assert a.won != b.won, (schedule, a, b)
        check_order(schedule, a.won)
        winner, loser = (first, second) if a.won else (second, first)
        assert (b if a.won else a).code is ErrorCode.UNAVAILABLE
        assert (await reservation(db, winner)).start_date == wanted
        assert await reservation(db, loser) == before[loser]
        assert await booked(db, listing_id, wanted) == 2
        assert await booked(db, listing_id, elsewhere) == 1
        assert await inventory_faults(db) == []
