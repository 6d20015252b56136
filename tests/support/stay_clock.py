"""Listings and reservations on local wall-clock times, for the tests of the clock that
checks stays and slots in and out (and of the scheduler and reminders that run it)."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bookwell.core.db import Database
from bookwell.models import ListingKind
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import holds
from bookwell.services.listings.stays import Stay, today_in
from bookwell.services.listings.units import SlotSettings
from bookwell.services.slots.slots import NewSlotBooking, book_slot
from tests.factories import make_listing
from tests.support.lifecycle_steps import sql

AUCKLAND = "Pacific/Auckland"
LOS_ANGELES = "America/Los_Angeles"
KOLKATA = "Asia/Kolkata"


def local_now(zone: str) -> datetime:
    """The wall-clock time in `zone` (naive)."""
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


async def stay_listing(
    db: Database,
    host: Principal,
    zone: str,
    *,
    units: int = 4,
    check_in: time = time(15),
    check_out: time = time(11),
) -> uuid.UUID:
    listing_id = await make_listing(db, host, timezone=zone, units=units)
    await sql(
        db,
        "UPDATE listings SET check_in_time = :i, check_out_time = :o WHERE id = :id",
        i=check_in,
        o=check_out,
        id=listing_id,
    )
    return listing_id


async def stay_on(
    db: Database, guest: Principal, listing_id: uuid.UUID, start: date, end: date, status: str
) -> uuid.UUID:
    """A reservation of [start, end) in `status`, past or present."""
    later = today_in("UTC") + timedelta(days=400)
    async with db.transaction() as session:
        row = await holds.place_hold(
            session=session,
            listing_id=listing_id,
            guest_id=guest.user_id,
            booked=Stay(later, later + timedelta(days=1)),
            quantity=1,
        )
    await move(db, row.id, status, start=start, end=end)
    return row.id


async def move(db: Database, reservation_id: uuid.UUID, status: str, **dates: date) -> None:
    """Set a reservation's status (with the stamps that go with it) and, optionally, dates."""
    await sql(
        db,
        "UPDATE reservations SET status = s.status,"
        " start_date = coalesce(:start, start_date), end_date = coalesce(:end, end_date),"
        " expires_at = CASE WHEN s.status = 'PENDING' THEN expires_at END,"
        " confirmed_at = CASE WHEN s.status <> 'PENDING' THEN now() END,"
        " checked_in_at = CASE WHEN s.status = 'ACTIVE' THEN now() END"
        " FROM (SELECT CAST(:status AS text) AS status) s WHERE id = :id",
        status=status,
        start=dates.get("start"),
        end=dates.get("end"),
        id=reservation_id,
    )


async def slot_on(
    db: Database,
    host: Principal,
    guest: Principal,
    zone: str,
    local_start: datetime,
    hours: int,
    status: str,
) -> uuid.UUID:
    """A reservation of a space for [local_start, + hours) local time in `status`, booked
    "before" it began (book_slot's `now`). The listing opens round the clock from then."""
    listing_id = await make_listing(
        db,
        host,
        kind=ListingKind.SPACE,
        timezone=zone,
        nightly_price="10.00",
        slots=SlotSettings(opens_at=None, closes_at=None, slot_minutes=60),
    )
    # Open for 24 hours from local_start, so the slot never crosses closing time.
    await sql(
        db,
        "UPDATE listings SET opens_at = :t, closes_at = :t WHERE id = :id",
        t=local_start.time(),
        id=listing_id,
    )
    starts_at = local_start.replace(tzinfo=ZoneInfo(zone))
    data = NewSlotBooking(
        listing_id=listing_id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours)
    )
    async with db.transaction() as session:
        row = await book_slot(
            session=session, guest=guest, data=data, now=starts_at - timedelta(minutes=1)
        )
    await move(db, row.id, status)
    return row.id
