"""Scheduled notices (reminders, expiring holds) are recorded once each, and old
idempotency keys are purged."""

import asyncio
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bookwell.core.db import Database
from bookwell.services.booking import holds, idempotency, reminders
from bookwell.services.booking.reminders import hold_expiring_key, reminder_key
from bookwell.services.listings.stays import Stay, today_in
from bookwell.services.payments import BuiltinProvider
from bookwell.services.payments.service import pay_reservation
from tests.factories import make_listing
from tests.support.lifecycle_steps import sql
from tests.support.stay_clock import (
    AUCKLAND,
    KOLKATA,
    LOS_ANGELES,
    local_now,
    slot_on,
    stay_listing,
    stay_on,
)


async def outbox_rows(db: Database, event: str) -> list:
    return await sql(
        db,
        "SELECT reservation_id, data, dedupe_key FROM outbox WHERE event = :e ORDER BY id",
        e=event,
    )


async def remind(db: Database) -> int:
    async with db.transaction() as session:
        return await reminders.enqueue_reminders(session=session, hours=24)


async def warn(db: Database) -> int:
    async with db.transaction() as session:
        return await reminders.warn_expiring_holds(session=session, minutes=5)


async def test_a_reminder_for_each_confirmed_reservation_beginning_within_the_window(
    db, host, guest
):
    soon = local_now(AUCKLAND) + timedelta(hours=3)
    auckland = await stay_listing(db, host, AUCKLAND, check_in=soon.time())
    stay_start, stay_end = soon.date(), soon.date() + timedelta(days=2)
    reminded = await stay_on(db, guest, auckland, stay_start, stay_end, "CONFIRMED")
    await stay_on(db, guest, auckland, stay_start, stay_end, "PENDING")  # not booked yet
    later = local_now(LOS_ANGELES) + timedelta(hours=30)
    far = await stay_listing(db, host, LOS_ANGELES, check_in=later.time())
    await stay_on(db, guest, far, later.date(), later.date() + timedelta(days=1), "CONFIRMED")
    begun = local_now(AUCKLAND) - timedelta(hours=2)
    started = await stay_listing(db, host, AUCKLAND, check_in=begun.time())
    await stay_on(db, guest, started, begun.date(), begun.date() + timedelta(days=1), "CONFIRMED")
    hour = local_now(KOLKATA).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    slot = await slot_on(db, host, guest, KOLKATA, hour, 1, "CONFIRMED")

    assert await remind(db) == 2
    assert await remind(db) == 0

    rows = await outbox_rows(db, "reservation.reminder")
    stay_begins = datetime.combine(stay_start, soon.time(), ZoneInfo(AUCKLAND))
    assert {(row.reservation_id, row.dedupe_key) for row in rows} == {
        (reminded, reminder_key(reminded, stay_begins)),
        (slot, reminder_key(slot, hour.replace(tzinfo=ZoneInfo(KOLKATA)))),
    }


async def test_a_new_check_in_time_is_a_new_reminder(db, host, guest):
    soon = local_now(AUCKLAND) + timedelta(hours=3)
    listing_id = await stay_listing(db, host, AUCKLAND, check_in=soon.time())
    reminded = await stay_on(
        db, guest, listing_id, soon.date(), soon.date() + timedelta(days=1), "CONFIRMED"
    )
    assert await remind(db) == 1
    await sql(
        db, "UPDATE listings SET check_in_time = check_in_time + interval '1 minute'"
    )  # a new arrival time is worth telling
    assert await remind(db) == 1
    assert [row.reservation_id for row in await outbox_rows(db, "reservation.reminder")] == [
        reminded,
        reminded,
    ]


async def test_concurrent_schedulers_record_each_reminder_once(db, host, guest):
    soon = local_now(AUCKLAND) + timedelta(hours=3)
    listing_id = await stay_listing(db, host, AUCKLAND, units=10, check_in=soon.time())
    for _ in range(10):
        await stay_on(
            db, guest, listing_id, soon.date(), soon.date() + timedelta(days=1), "CONFIRMED"
        )

    counts = await asyncio.gather(*(remind(db) for _ in range(4)))

    assert sum(counts) == 10
    assert len(await outbox_rows(db, "reservation.reminder")) == 10


async def hold_expiring_in(
    db: Database, guest, listing_id: uuid.UUID, minutes: float, *, paid: bool = False
) -> uuid.UUID:
    start = today_in("UTC") + timedelta(days=30)
    async with db.transaction() as session:
        row = await holds.place_hold(
            session=session,
            listing_id=listing_id,
            guest_id=guest.user_id,
            booked=Stay(start, start + timedelta(days=1)),
            quantity=1,
        )
    if paid:
        async with db.transaction() as session:
            await pay_reservation(
                session=session,
                principal=guest,
                reservation_id=row.id,
                idempotency_key=f"pay-{row.id}",
                provider=BuiltinProvider(),
            )
    await sql(
        db,
        "UPDATE reservations SET expires_at = now() + make_interval(secs => :s) WHERE id = :id",
        s=minutes * 60,
        id=row.id,
    )
    return row.id


async def expires_at(db: Database, reservation_id: uuid.UUID) -> datetime:
    [row] = await sql(db, "SELECT expires_at FROM reservations WHERE id = :id", id=reservation_id)
    return row.expires_at


async def test_holds_about_to_expire_warn_whoever_must_act(db, host, guest):
    listing_id = await make_listing(db, host, units=10)
    await sql(db, "UPDATE listings SET instant_book = false")  # paid holds wait for the host
    unpaid = await hold_expiring_in(db, guest, listing_id, 3)
    awaiting_host = await hold_expiring_in(db, guest, listing_id, 3, paid=True)
    await hold_expiring_in(db, guest, listing_id, 10)  # not yet
    await hold_expiring_in(db, guest, listing_id, -1)  # too late: expired

    assert await warn(db) == 2
    assert await warn(db) == 0

    rows = await outbox_rows(db, "hold.expiring")
    assert {(row.reservation_id, row.data["waiting_for"], row.dedupe_key) for row in rows} == {
        (unpaid, "payment", hold_expiring_key(unpaid, await expires_at(db, unpaid))),
        (
            awaiting_host,
            "host",
            hold_expiring_key(awaiting_host, await expires_at(db, awaiting_host)),
        ),
    }


async def test_a_new_deadline_is_a_new_warning(db, host, guest):
    listing_id = await make_listing(db, host)
    hold_id = await hold_expiring_in(db, guest, listing_id, 3)
    assert await warn(db) == 1
    await sql(db, "UPDATE reservations SET expires_at = expires_at + interval '1 minute'")
    assert await warn(db) == 1
    rows = await outbox_rows(db, "hold.expiring")
    assert [row.reservation_id for row in rows] == [hold_id, hold_id]
    assert rows[0].dedupe_key != rows[1].dedupe_key


async def test_purge_removes_only_idempotency_keys_older_than_the_limit(db, guest):
    ages = {"old": timedelta(hours=25), "older": timedelta(days=30), "recent": timedelta(hours=23)}
    for key, age in ages.items():
        await sql(
            db,
            "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at)"
            " VALUES (:u, :k, '\\x00', now() - CAST(:age AS interval))",
            u=guest.user_id,
            k=key,
            age=age,
        )
    async with db.transaction() as session:
        purged = await idempotency.purge_idempotency_keys(
            session=session, older_than=timedelta(hours=24)
        )
    assert purged == 2
    assert [row.key for row in await sql(db, "SELECT key FROM idempotency_keys")] == ["recent"]
