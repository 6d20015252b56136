"""The clock checks stays and slots in and out at their listing's local times.

Services refuse past dates, so reservations are booked for later and then moved to the
dates a test needs with one UPDATE (the inventory trigger moves their nights with them).
Times are set relative to now, with hours of margin, so no test depends on when it runs.
"""

import asyncio
import uuid
from datetime import timedelta

from bookwell.core.db import Database
from bookwell.core.errors import ErrorCode
from bookwell.models import ReservationStatus
from bookwell.services.booking import clock as stay_clock
from bookwell.services.booking import lifecycle
from tests.support.database import inventory_faults
from tests.support.lifecycle_steps import Txn, booked, outcome_of, reservation, sql, until_waiting
from tests.support.stay_clock import (
    AUCKLAND,
    KOLKATA,
    LOS_ANGELES,
    local_now,
    slot_on,
    stay_listing,
    stay_on,
)


async def status_of(db: Database, reservation_id: uuid.UUID) -> ReservationStatus:
    return (await reservation(db, reservation_id)).status


async def completed_events(db: Database) -> list[uuid.UUID]:
    rows = await sql(
        db,
        "SELECT reservation_id FROM outbox WHERE event = 'reservation.completed' ORDER BY id",
    )
    return [row.reservation_id for row in rows]


async def run(db: Database, clock) -> list[uuid.UUID]:
    async with db.transaction() as session:
        return await clock(session=session)


async def test_stays_check_in_at_their_listings_local_check_in_time(db, host, guest):
    # The same wall-clock day and time: two hours ago in Auckland, still ahead in Los Angeles.
    arrival = local_now(AUCKLAND) - timedelta(hours=2)
    start, end = arrival.date(), arrival.date() + timedelta(days=2)
    auckland = await stay_listing(db, host, AUCKLAND, check_in=arrival.time())
    los_angeles = await stay_listing(db, host, LOS_ANGELES, check_in=arrival.time())
    arrived = await stay_on(db, guest, auckland, start, end, "CONFIRMED")
    unpaid = await stay_on(db, guest, auckland, start, end, "PENDING")
    not_yet = await stay_on(db, guest, los_angeles, start, end, "CONFIRMED")

    assert await run(db, stay_clock.start_due_stays) == [arrived]

    checked_in = await reservation(db, arrived)
    assert checked_in.status is ReservationStatus.ACTIVE
    assert checked_in.checked_in_at is not None
    assert (checked_in.start_date, checked_in.end_date) == (start, end)
    assert await status_of(db, unpaid) is ReservationStatus.PENDING
    assert await status_of(db, not_yet) is ReservationStatus.CONFIRMED
    assert await run(db, stay_clock.start_due_stays) == []
    assert await inventory_faults(db) == []


async def test_stays_check_out_at_their_listings_local_check_out_time(db, host, guest):
    departure = local_now(AUCKLAND) - timedelta(hours=2)
    start, end = departure.date() - timedelta(days=3), departure.date()
    auckland = await stay_listing(db, host, AUCKLAND, check_out=departure.time())
    los_angeles = await stay_listing(db, host, LOS_ANGELES, check_out=departure.time())
    left = await stay_on(db, guest, auckland, start, end, "ACTIVE")
    # Never checked in (no scheduler ran during the stay): over all the same.
    no_show = await stay_on(db, guest, auckland, start, end, "CONFIRMED")
    staying = await stay_on(db, guest, los_angeles, start, end, "ACTIVE")

    assert await run(db, stay_clock.start_due_stays) == []  # ended: never ACTIVE now
    assert sorted(await run(db, stay_clock.complete_due_stays)) == sorted([left, no_show])

    for reservation_id in (left, no_show):
        row = await reservation(db, reservation_id)
        assert row.status is ReservationStatus.COMPLETED
        assert row.checked_out_at is not None
        assert (row.start_date, row.end_date) == (start, end)  # as booked
    assert (await reservation(db, no_show)).checked_in_at is None
    assert await status_of(db, staying) is ReservationStatus.ACTIVE
    assert await booked(db, auckland, start) == 0
    assert await booked(db, los_angeles, start) == 1
    assert sorted(await completed_events(db)) == sorted([left, no_show])
    assert await run(db, stay_clock.complete_due_stays) == []
    assert len(await completed_events(db)) == 2
    assert await inventory_faults(db) == []


async def test_slot_reservations_begin_and_end_at_their_own_instants(db, host, guest):
    hour = local_now(KOLKATA).replace(minute=0, second=0, microsecond=0)
    current = await slot_on(db, host, guest, KOLKATA, hour - timedelta(hours=1), 3, "CONFIRMED")
    over = await slot_on(db, host, guest, KOLKATA, hour - timedelta(hours=3), 1, "CONFIRMED")
    ahead = await slot_on(db, host, guest, KOLKATA, hour + timedelta(hours=2), 1, "CONFIRMED")

    assert await run(db, stay_clock.start_due_stays) == [current]
    assert await run(db, stay_clock.complete_due_stays) == [over]

    assert await status_of(db, current) is ReservationStatus.ACTIVE
    assert await status_of(db, over) is ReservationStatus.COMPLETED
    assert await status_of(db, ahead) is ReservationStatus.CONFIRMED
    holding = await sql(
        db,
        "SELECT reservation_id, holding FROM reservation_units WHERE reservation_id IN (:a, :b)",
        a=current,
        b=over,
    )
    assert dict(holding) == {current: True, over: False}
    assert await completed_events(db) == [over]


async def test_concurrent_clocks_complete_each_stay_once(db, host, guest):
    departure = local_now(AUCKLAND) - timedelta(hours=2)
    start, end = departure.date() - timedelta(days=2), departure.date()
    listing_id = await stay_listing(db, host, AUCKLAND, units=12, check_out=departure.time())
    due = [await stay_on(db, guest, listing_id, start, end, "ACTIVE") for _ in range(12)]

    first, second = await asyncio.gather(
        run(db, stay_clock.complete_due_stays), run(db, stay_clock.complete_due_stays)
    )

    assert sorted(first + second) == sorted(due)
    assert sorted(await completed_events(db)) == sorted(due)
    assert await inventory_faults(db) == []


async def test_a_host_checking_out_while_the_clock_completes_the_stay(db, host, guest):
    departure = local_now(AUCKLAND) - timedelta(hours=2)
    start, end = departure.date() - timedelta(days=2), departure.date()
    listing_id = await stay_listing(db, host, AUCKLAND, check_out=departure.time())
    stay_id = await stay_on(db, guest, listing_id, start, end, "ACTIVE")

    clock = Txn(db)
    assert (await clock.run(lambda s: stay_clock.complete_due_stays(session=s))).value == [stay_id]

    async def check_out():
        async with db.transaction() as session:
            return await lifecycle.check_out(
                session=session, principal=host, reservation_id=stay_id
            )

    host_side = asyncio.ensure_future(outcome_of(check_out()))
    await until_waiting(db, host_side)
    await clock.commit()
    outcome = await host_side

    assert outcome.code is ErrorCode.INVALID_STATE
    row = await reservation(db, stay_id)
    assert (row.status, row.end_date) == (ReservationStatus.COMPLETED, end)
    assert await completed_events(db) == [stay_id]
    assert await inventory_faults(db) == []


async def test_calendar_blocks_are_not_stays_nobody_checks_them_in_or_out(db, host, guest):
    now = local_now(AUCKLAND)
    auckland = await stay_listing(db, host, AUCKLAND, check_out=(now - timedelta(hours=1)).time())
    under_way = await stay_on(
        db,
        guest,
        auckland,
        now.date() - timedelta(days=1),
        now.date() + timedelta(days=2),
        "CONFIRMED",
    )
    ended = await stay_on(
        db, guest, auckland, now.date() - timedelta(days=3), now.date(), "CONFIRMED"
    )
    await sql(
        db,
        "UPDATE reservations SET external_uid = 'ext-' || id::text, guest_id = NULL"
        " WHERE id IN (:a, :b)",
        a=under_way,
        b=ended,
    )
    assert await run(db, stay_clock.start_due_stays) == []
    assert await run(db, stay_clock.complete_due_stays) == []
    assert await status_of(db, ended) is ReservationStatus.CONFIRMED
    assert await completed_events(db) == []
