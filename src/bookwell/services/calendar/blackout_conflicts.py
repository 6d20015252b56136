"""The bookings in a blackout's way: named when a blackout is refused, never moved.

A blackout takes units through the same guarantee as a booking (the capacity CHECK on
listing_nights for stays, the exclusion constraint on reservation_units for slots). When the
database refuses it, these queries say which holding reservations (bookings, holds, calendar
blocks, other blackouts) hold the units it asked for.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, DomainErrors, ErrorCode
from bookwell.core.ids import global_id
from bookwell.core.records import build_all
from bookwell.models import HOLDING_STATUSES, ListingNight, Reservation, ReservationUnit
from bookwell.services.booking.records import RESERVATION_COLUMNS, ReservationRecord

MAX_NAMED = 20


async def stay_conflicts(
    *, session: AsyncSession, listing_id: uuid.UUID, start: date, end: date, room_left: int
) -> list[ReservationRecord]:
    """Holding reservations on a night of [start, end) where more than `room_left` units are
    booked (`room_left`: the listing's units less the blackout's), first nights first."""
    short_night = exists().where(
        ListingNight.listing_id == listing_id,
        ListingNight.night >= func.greatest(Reservation.start_date, start),
        ListingNight.night < func.least(Reservation.end_date, end),
        ListingNight.booked > room_left,
    )
    stmt = (
        select(*RESERVATION_COLUMNS)
        .where(
            Reservation.listing_id == listing_id,
            Reservation.status.in_(HOLDING_STATUSES),
            Reservation.starts_at.is_(None),
            Reservation.start_date < end,
            Reservation.end_date > start,
            short_night,
        )
        .order_by(Reservation.start_date, Reservation.id)
        .limit(MAX_NAMED)
    )
    return build_all(ReservationRecord, await session.execute(stmt))


async def slot_conflicts(
    *, session: AsyncSession, listing_id: uuid.UUID, starts_at: datetime, ends_at: datetime
) -> list[ReservationRecord]:
    """Holding reservations with a unit taken (buffers included) during [starts_at, ends_at)."""
    in_the_way = (
        select(ReservationUnit.reservation_id)
        .where(
            ReservationUnit.listing_id == listing_id,
            ReservationUnit.holding,
            ReservationUnit.occupied.overlaps(func.tstzrange(starts_at, ends_at, "[)")),
        )
        .scalar_subquery()
    )
    stmt = (
        select(*RESERVATION_COLUMNS)
        .where(Reservation.id.in_(in_the_way))
        .order_by(Reservation.starts_at, Reservation.id)
        .limit(MAX_NAMED)
    )
    return build_all(ReservationRecord, await session.execute(stmt))


class BlackoutConflict(DomainErrors):
    """The blackout was refused: one BLACKOUT_CONFLICT per reservation in its way (at most
    MAX_NAMED), each naming it; `reservations` are those reservations."""

    def __init__(self, reservations: list[ReservationRecord], units: int):
        self.reservations = reservations
        errors = [_named(row, units) for row in reservations] or [
            DomainError(
                ErrorCode.BLACKOUT_CONFLICT,
                f"Not {units} unit(s) are free for the whole blackout.",
                "units",
            )
        ]
        super().__init__(errors)


def _named(row: ReservationRecord, units: int) -> DomainError:
    if row.starts_at is not None and row.ends_at is not None:
        when = f"from {row.starts_at.isoformat()} to {row.ends_at.isoformat()}"
    else:
        when = f"from {row.start_date.isoformat()} to {row.end_date.isoformat()}"
    what = "A calendar block" if row.external_uid is not None else "Reservation"
    return DomainError(
        ErrorCode.BLACKOUT_CONFLICT,
        f"{what} {global_id('Reservation', row.id)} ({row.guest_name}, {row.status.value}, "
        f"{row.quantity} unit(s) {when}) holds units this blackout of {units} unit(s) needs; "
        "it stays as it is: cancel or move it first, or black out fewer units or hours.",
        "units",
    )
