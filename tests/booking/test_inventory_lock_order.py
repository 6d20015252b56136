"""Transitions that touch the same nights never deadlock, however their locks interleave.

The inventory trigger must take nights in one global order: by date, within a statement and
across the statements of one transaction. Two ways to break that (both deadlocked before
migration 0004): a sweep that expires a hold on late nights before one on early nights, and
a change of dates that locks a night it leaves before inserting the rows of earlier nights
it takes. Each test
builds its interleaving deterministically: a third transaction (cancelling another stay)
holds one night while the two under test queue up behind each other. Every transaction must
end in a result or a DomainError, never in PostgreSQL's deadlock error.
"""

import asyncio
import uuid
from datetime import timedelta

from bookwell.core.db import Database
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import holds, lifecycle, reservations
from bookwell.services.booking.reservations import NewReservation
from tests.factories import book, make_listing
from tests.support.database import inventory_faults
from tests.support.lifecycle_steps import (
    Outcome,
    Txn,
    Work,
    day,
    reservation,
    sql,
    until_waiting,
)


def cancel(principal: Principal, reservation_id: uuid.UUID) -> Work:
    return lambda s: lifecycle.cancel_reservation(
        session=s, principal=principal, reservation_id=reservation_id
    )


async def night_held_while(db: Database, guest: Principal, blocker: uuid.UUID) -> Txn:
    """An open transaction that has cancelled `blocker`, so holds its nights' rows."""
    txn = Txn(db)
    assert (await txn.run(cancel(guest, blocker))).won
    return txn


async def settle(*pending: tuple[Txn, asyncio.Future]) -> list[Outcome]:
    """Await each transaction's step and commit it; report any that died on the database."""

    async def one(txn: Txn, step: asyncio.Future) -> Outcome:
        try:
            outcome = await step
        except Exception:
            await asyncio.gather(txn.commit(), return_exceptions=True)  # the task's error too
            raise
        await txn.commit()
        return outcome

    results = await asyncio.gather(*(one(t, s) for t, s in pending), return_exceptions=True)
    died = [repr(getattr(r, "orig", r)) for r in results if isinstance(r, BaseException)]
    assert died == [], f"transactions died instead of finishing: {died}"
    return list(results)


async def overdue(db: Database, *holds_by_age: uuid.UUID) -> None:
    """Make the holds overdue, the first the most overdue."""
    for age, hold in enumerate(holds_by_age):
        await sql(
            db,
            "UPDATE reservations SET expires_at = now() - make_interval(mins => :m) WHERE id = :id",
            m=60 - age,
            id=hold,
        )


async def test_expiring_holds_races_cancel_of_a_stay_over_their_nights(db, host, guest):
    """A sweep expires a hold on late nights and one on early nights while a cancel locks
    all those nights from the earliest (a sweep that took the late ones first deadlocked)."""
    listing_id = await make_listing(db, host, units=3)
    stay = (await book(db, guest, listing_id, day(41), nights=4, paid=True)).id  # nights 41..44
    blocker = (await book(db, guest, listing_id, day(42), paid=True)).id
    late = (await book(db, guest, listing_id, day(43), nights=2)).id  # 43, 44
    early = (await book(db, guest, listing_id, day(41), nights=2)).id  # 41, 42
    await overdue(db, late, early)

    holder = await night_held_while(db, guest, blocker)  # night 42
    canceller, expirer = Txn(db), Txn(db)
    cancelling = canceller.start(cancel(guest, stay))  # takes 41, waits for 42
    await until_waiting(db, cancelling, 1)
    expiring = expirer.start(lambda s: holds.expire_holds(session=s, listing_id=listing_id))
    await until_waiting(db, expiring, 2)  # waits for the cancel
    await holder.commit()

    cancelled, expired = await settle((canceller, cancelling), (expirer, expiring))
    assert cancelled.won
    assert {row.id for row in expired.value} == {late, early}
    assert await inventory_faults(db) == []


async def test_change_of_dates_onto_new_nights_races_a_booking(db, host, guest):
    """A change of dates from 45..46 to 40..45 while a booking of 40..46 has inserted the
    rows of 40..44 and waits for 45 (a change that locked 46, the night it leaves, before
    inserting 40 deadlocked)."""
    listing_id = await make_listing(db, host, units=3)
    moving = (await book(db, guest, listing_id, day(45), nights=2, paid=True)).id  # nights 45, 46
    blocker = (await book(db, guest, listing_id, day(45), paid=True)).id

    holder = await night_held_while(db, guest, blocker)  # night 45
    booker, changer = Txn(db), Txn(db)
    data = NewReservation(listing_id=listing_id, start_date=day(40), nights=7)
    booking = booker.start(
        lambda s: reservations.create_reservation(session=s, guest=guest, data=data)
    )
    await until_waiting(db, booking, 1)  # inserted 40..44, waits for 45
    changing = changer.start(
        lambda s: lifecycle.change_dates(
            session=s, principal=guest, reservation_id=moving, start_date=day(40), nights=6
        )
    )
    await until_waiting(db, changing, 2)  # waits for the booking's night 40
    await holder.commit()

    booked, changed = await settle((booker, booking), (changer, changing))
    assert booked.won and changed.won
    assert (await reservation(db, moving)).end_date == day(40) + timedelta(6)
    assert await inventory_faults(db) == []
