"""Blackouts (issue 19.3): a host closes dates (stays) or hours (slot listings) for all
units or some, for maintenance or a private event.

A blackout is a calendar block (blocks.py) made by the host rather than imported: a CONFIRMED
reservation without a guest, costing nothing, whose `external_source` is 'blackout'. It takes
its units through the very guarantee bookings go through: the inventory trigger and the
capacity CHECK on listing_nights for a stay, the exclusion constraint on reservation_units
(taking its hours exactly, without buffers) for a slot listing. So it can never overbook,
whatever runs beside it. Because it is a block, everything that already treats blocks as
"not a booking" does so for it: reports count its nights as blocked, nobody is reminded,
checked in or marked a no-show, and its dates never change (delete it and make another).

When bookings already hold the units asked for, the blackout is refused as a whole
(BLACKOUT_CONFLICT, one error per reservation in the way, and `BlackoutConflict.reservations`):
existing bookings are reported, never moved or cancelled. The host then cancels or moves
them, or asks for fewer units or a shorter blackout. A partial blackout (what is free) was
not chosen: one blackout would then mean different units on different nights, and a host
who asked for "all rooms" would silently get fewer.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, not_found
from bookwell.core.records import build_all
from bookwell.core.zones import zone_info
from bookwell.models import (
    HOLDING_STATUSES,
    Listing,
    ListingKind,
    OutboxMessage,
    Reservation,
    ReservationStatus,
    new_id,
)
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.holds import is_capacity_error
from bookwell.services.booking.overdue import expire_overdue_in_the_way
from bookwell.services.calendar.blackout_conflicts import (
    BlackoutConflict,
    slot_conflicts,
    stay_conflicts,
)
from bookwell.services.calendar.blackout_input import (
    NewBlackout,
    check_slot_range,
    check_stay_range,
    checked_reason,
    checked_units,
)
from bookwell.services.listings.ownership import locked_listing
from bookwell.services.listings.records import ListingRecord
from bookwell.services.notifications.outbox import Event
from bookwell.services.slots.buffers import NO_BUFFERS
from bookwell.services.slots.taking import candidate_units, slot_of, take_unit

BLACKOUT_SOURCE = "blackout"


@dataclass(frozen=True, slots=True)
class BlackoutRecord:
    id: uuid.UUID
    listing_id: uuid.UUID
    reason: str
    start_date: date
    end_date: date
    starts_at: datetime | None
    ends_at: datetime | None
    units: int
    created_at: datetime


BLACKOUT_COLUMNS = (
    Reservation.id,
    Reservation.listing_id,
    Reservation.guest_name,
    Reservation.start_date,
    Reservation.end_date,
    Reservation.starts_at,
    Reservation.ends_at,
    Reservation.quantity,
    Reservation.created_at,
)
IS_BLACKOUT = Reservation.external_source == BLACKOUT_SOURCE


def _row(listing: ListingRecord, reason: str, units: int, **when: Any) -> dict[str, Any]:
    blackout_id = new_id()
    return {
        "id": blackout_id,
        "listing_id": listing.id,
        "guest_id": None,
        "guest_name": reason,
        "quantity": units,
        "status": ReservationStatus.CONFIRMED,
        "total_amount": Decimal(0),
        "currency": listing.currency,
        "confirmed_at": func.now(),
        "external_uid": f"{blackout_id}@blackout",
        "external_source": BLACKOUT_SOURCE,
        **when,
    }


async def create_blackout(
    *, session: AsyncSession, principal: Principal, data: NewBlackout, now: datetime | None = None
) -> BlackoutRecord:
    """Close the dates or hours for `units` (all by default), or BlackoutConflict naming the
    reservations in the way (nothing written). The listing's host or an admin only.

    Locks in the order bookings of the same kind take them, so that neither waits for the
    other in a cycle: a stay's listing row, then its overdue holds, then its nights; a slot
    listing's overdue holds, then its row (services/slots/slots.py), then its units."""
    now = now or datetime.now(UTC)
    reason = checked_reason(data.reason)
    kind = await _kind_if_allowed(session=session, principal=principal, data=data)
    if kind is ListingKind.STAY:
        listing = await _owned_listing(session=session, principal=principal, data=data)
        return await _black_out_nights(
            session=session, listing=listing, data=data, reason=reason, now=now
        )
    await _expire_overdue_slot_holds(session=session, listing_id=data.listing_id)
    listing = await _owned_listing(session=session, principal=principal, data=data)
    return await _black_out_hours(
        session=session, listing=listing, data=data, reason=reason, now=now
    )


async def _kind_if_allowed(
    *, session: AsyncSession, principal: Principal, data: NewBlackout
) -> ListingKind:
    """The listing's kind, read without a lock; NOT_FOUND or FORBIDDEN as locked_listing."""
    stmt = select(Listing.kind, Listing.owner_id).where(Listing.id == data.listing_id)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("listing", "listingId")
    if row.owner_id != principal.user_id and not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only the listing's host can change it.", "listingId"
        )
    kind: ListingKind = row.kind
    return kind


async def _owned_listing(
    *, session: AsyncSession, principal: Principal, data: NewBlackout
) -> ListingRecord:
    """The listing, its row locked (every hold locks it too); NOT_FOUND or FORBIDDEN."""
    return await locked_listing(
        session=session, principal=principal, listing_id=data.listing_id, field="listingId"
    )


async def _black_out_nights(
    *,
    session: AsyncSession,
    listing: ListingRecord,
    data: NewBlackout,
    reason: str,
    now: datetime,
) -> BlackoutRecord:
    found = InputErrors()
    nights = found.check(check_stay_range, data, listing, now)
    units = found.check(checked_units, data, listing)
    found.raise_if_any()
    assert nights is not None and units is not None
    # Lock order as bookings': the listing's row, overdue holds, then the nights.
    await expire_overdue_in_the_way(session=session, listing_id=listing.id, wanted=nights)
    values = _row(listing, reason, units, start_date=nights.start, end_date=nights.end)
    try:
        async with session.begin_nested():
            await session.execute(insert(Reservation).values(**values))
    except IntegrityError as error:
        if not is_capacity_error(error):
            raise
        in_the_way = await stay_conflicts(
            session=session,
            listing_id=listing.id,
            start=nights.start,
            end=nights.end,
            room_left=listing.units - units,
        )
        raise BlackoutConflict(in_the_way, units) from None
    return await _blackout(session=session, blackout_id=values["id"])


async def _black_out_hours(
    *,
    session: AsyncSession,
    listing: ListingRecord,
    data: NewBlackout,
    reason: str,
    now: datetime,
) -> BlackoutRecord:
    found = InputErrors()
    window = found.check(check_slot_range, data, now)
    units = found.check(checked_units, data, listing)
    found.raise_if_any()
    assert window is not None and units is not None
    zone = zone_info(listing.timezone)
    slot = slot_of(window[0], window[1], zone)
    last_day = (window[1] - timedelta(microseconds=1)).astimezone(zone).date()
    values = _row(
        listing,
        reason,
        units,
        start_date=slot.local_start.date(),
        end_date=last_day + timedelta(days=1),
        starts_at=window[0],
        ends_at=window[1],
    )
    # Units in their order (a restaurant's smallest tables first), free of any booking and
    # its buffers; the exclusion constraint decides each.
    candidates = await candidate_units(
        session=session,
        listing_id=listing.id,
        kind=listing.kind,
        slot=slot,
        party_size=None,
        buffers=NO_BUFFERS,
    )
    try:
        async with session.begin_nested():
            await session.execute(insert(Reservation).values(**values))
            taken = 0
            for unit_id in candidates:
                if taken == units:
                    break
                if await take_unit(
                    session=session,
                    reservation_id=values["id"],
                    listing_id=listing.id,
                    unit_id=unit_id,
                    slot=slot,
                    buffers=NO_BUFFERS,
                ):
                    taken += 1
            if taken < units:
                raise _NotAllFree
    except _NotAllFree:
        in_the_way = await slot_conflicts(
            session=session, listing_id=listing.id, starts_at=window[0], ends_at=window[1]
        )
        raise BlackoutConflict(in_the_way, units) from None
    return await _blackout(session=session, blackout_id=values["id"])


class _NotAllFree(Exception):
    """Bookings hold some of the units: undo the blackout's savepoint."""


async def _expire_overdue_slot_holds(*, session: AsyncSession, listing_id: uuid.UUID) -> None:
    """Overdue slot holds still take their units: expire them (told through the outbox), so
    they are neither in the blackout's way nor reported. Locked in id order before the
    listing's row, as a slot booking expires them (services/slots/slots.py)."""
    overdue = (
        select(Reservation.id)
        .where(
            Reservation.listing_id == listing_id,
            Reservation.status == ReservationStatus.PENDING,
            Reservation.expires_at <= func.now(),
            Reservation.starts_at.is_not(None),
        )
        .order_by(Reservation.id)
        .with_for_update()
    )
    expired = (
        update(Reservation)
        .where(
            Reservation.id.in_(overdue.scalar_subquery()),
            Reservation.status == ReservationStatus.PENDING,
        )
        .values(status=ReservationStatus.EXPIRED)
        .returning(Reservation.id)
        .cte("expired")
    )
    await session.execute(
        insert(OutboxMessage).from_select(
            ["event", "reservation_id"],
            select(literal(Event.RESERVATION_EXPIRED.value), expired.c.id),
        )
    )


async def _blackout(*, session: AsyncSession, blackout_id: uuid.UUID) -> BlackoutRecord:
    stmt = select(*BLACKOUT_COLUMNS).where(Reservation.id == blackout_id)
    return BlackoutRecord(*(await session.execute(stmt)).one())


async def delete_blackout(
    *, session: AsyncSession, principal: Principal, blackout_id: uuid.UUID
) -> BlackoutRecord:
    """Reopen what the blackout closed (it becomes CANCELLED: its units are free at once);
    the blackout as it was. NOT_FOUND for no blackout in force with that id, FORBIDDEN for
    another host's."""
    stmt = select(Reservation.listing_id).where(
        Reservation.id == blackout_id,
        IS_BLACKOUT,
        Reservation.status.in_(HOLDING_STATUSES),
    )
    listing_id = (await session.execute(stmt)).scalar_one_or_none()
    if listing_id is None:
        raise not_found("blackout")
    await locked_listing(session=session, principal=principal, listing_id=listing_id)
    cancelled = (
        update(Reservation)
        .where(Reservation.id == blackout_id, Reservation.status.in_(HOLDING_STATUSES))
        .values(
            status=ReservationStatus.CANCELLED,
            cancelled_at=func.now(),
            cancel_reason="Blackout deleted by the host.",
        )
        .returning(*BLACKOUT_COLUMNS)
    )
    row = (await session.execute(cancelled)).one_or_none()
    if row is None:  # deleted meanwhile
        raise not_found("blackout")
    return BlackoutRecord(*row)


def in_force(now: Any, yesterday: Any) -> list[ColumnElement[bool]]:
    """Blackouts not over at `now`; `yesterday`, the UTC date a day before: a day of margin
    for stays, as whether a stay's last night is over depends on the zone."""
    return [
        IS_BLACKOUT,
        Reservation.status.in_(HOLDING_STATUSES),
        or_(
            Reservation.ends_at > now,
            and_(Reservation.starts_at.is_(None), Reservation.end_date > yesterday),
        ),
    ]


# Earliest first; the id orders blackouts that begin together (blackout_json.py's too).
IN_FORCE_ORDER = (Reservation.start_date, Reservation.starts_at, Reservation.id)


def _in_force(listing_ids: list[uuid.UUID], now: datetime) -> Select[*tuple[Any, ...]]:
    return (
        select(*BLACKOUT_COLUMNS)
        .where(
            Reservation.listing_id.in_(listing_ids),
            *in_force(now, (now - timedelta(days=1)).date()),
        )
        .order_by(Reservation.listing_id, *IN_FORCE_ORDER)
    )


async def blackouts_of(
    *, session: AsyncSession, listing_ids: list[uuid.UUID], now: datetime | None = None
) -> dict[uuid.UUID, list[BlackoutRecord]]:
    """Per listing, its blackouts not over yet, earliest first."""
    rows = build_all(
        BlackoutRecord, await session.execute(_in_force(listing_ids, now or datetime.now(UTC)))
    )
    found: dict[uuid.UUID, list[BlackoutRecord]] = {listing_id: [] for listing_id in listing_ids}
    for row in rows:
        found[row.listing_id].append(row)
    return found
