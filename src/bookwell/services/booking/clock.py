"""The clock moves reservations along: CONFIRMED -> ACTIVE when the stay or slot begins,
ACTIVE -> COMPLETED when it ends. No principal: the system acts, on a timer (the scheduler).

A stay begins at its first day's `check_in_time` and ends at its last day's `check_out_time`,
wall-clock times in the listing's timezone (DST is the timezone database's business); a slot
reservation at `starts_at` and `ends_at`.

A CONFIRMED reservation whose end has passed without a check-in (the scheduler was not
running, say) is COMPLETED too, with `checked_in_at` left empty: the booking was kept and
paid for and is over, so it may no longer be cancelled for a refund, and its guest may review.

A listing that tracks arrivals (`auto_no_show_after_hours` set) is left out of both: its
guests are checked in by the host, and a CONFIRMED one never checked in becomes NO_SHOW, not
COMPLETED (services/booking/no_show.py). Each check-in records `reservation.checked_in`.

Every change is a guarded UPDATE on the status of rows this transaction locked with SKIP
LOCKED, so several runners share the work and a host's check-in or check-out racing the clock
either wins or waits and then finds nothing to do.
"""

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Listing, Reservation, ReservationStatus
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event

CONFIRMED = ReservationStatus.CONFIRMED
ACTIVE = ReservationStatus.ACTIVE
COMPLETED = ReservationStatus.COMPLETED

# Calendar blocks (services/calendar/blocks.py) are not stays: nobody checks in or out.
NOT_A_BLOCK = Reservation.external_uid.is_(None)
# The listing (joined) leaves check-ins to its host and marks no-shows (no_show.py).
ARRIVALS_UNTRACKED = Listing.auto_no_show_after_hours.is_(None)


def begins_at() -> ColumnElement[datetime]:
    """The instant a reservation begins (needs `Listing` joined)."""
    local = Reservation.start_date + Listing.check_in_time
    return func.coalesce(Reservation.starts_at, func.timezone(Listing.timezone, local))


def ends_at() -> ColumnElement[datetime]:
    """The instant a reservation ends (needs `Listing` joined)."""
    local = Reservation.end_date + Listing.check_out_time
    return func.coalesce(Reservation.ends_at, func.timezone(Listing.timezone, local))


async def start_due_stays(*, session: AsyncSession, limit: int = 1000) -> list[uuid.UUID]:
    """CONFIRMED -> ACTIVE for reservations that have begun and not yet ended; their ids.

    One statement: ACTIVE holds the same units as CONFIRMED, so no inventory row moves.
    """
    now = func.now()
    due = (
        select(Reservation.id)
        .join(Listing, Listing.id == Reservation.listing_id)
        .where(
            Reservation.status == CONFIRMED,
            NOT_A_BLOCK,
            ARRIVALS_UNTRACKED,
            begins_at() <= now,
            ends_at() > now,
        )
        .limit(limit)
        .with_for_update(of=Reservation, skip_locked=True)
        .correlate(None)
    )
    stmt = (
        update(Reservation)
        .where(Reservation.id.in_(due.scalar_subquery()), Reservation.status == CONFIRMED)
        .values(status=ACTIVE, checked_in_at=now)
        .returning(Reservation.id)
    )
    started = list((await session.execute(stmt)).scalars())
    await outbox.record_each(
        session=session,
        event=Event.RESERVATION_CHECKED_IN,
        reservation_ids=started,
        data={"by": "clock"},
    )
    return started


async def complete_due_stays(*, session: AsyncSession, limit: int = 1000) -> list[uuid.UUID]:
    """ACTIVE (or never checked-in CONFIRMED) -> COMPLETED for reservations that have ended;
    their ids, each with a RESERVATION_COMPLETED event. The dates stay as booked.

    COMPLETED frees the nights, so, as in `holds.expire_holds`, each reservation changes in a
    statement of its own, in (listing, first night) order: the nights are locked in one
    global order and a host cancelling or checking out on the same nights cannot deadlock
    with this transaction.
    """
    due = (
        select(Reservation.id)
        .where(
            Reservation.listing_id == Listing.id,
            or_(
                Reservation.status == ACTIVE, (Reservation.status == CONFIRMED) & ARRIVALS_UNTRACKED
            ),
            NOT_A_BLOCK,
            ends_at() <= func.now(),
        )
        .order_by(Reservation.listing_id, Reservation.start_date, Reservation.id)
        .limit(limit)
        .with_for_update(of=Reservation, skip_locked=True)
    )
    completed: list[uuid.UUID] = []
    for reservation_id in (await session.execute(due)).scalars().all():
        stmt = (
            update(Reservation)
            .where(Reservation.id == reservation_id, Reservation.status.in_((CONFIRMED, ACTIVE)))
            .values(status=COMPLETED, checked_out_at=func.now())
            .returning(Reservation.id)
        )
        completed.extend((await session.execute(stmt)).scalars())
    await outbox.record_each(
        session=session, event=Event.RESERVATION_COMPLETED, reservation_ids=completed
    )
    return completed
