"""Holds: a PENDING reservation takes its units at once and gives them back at `expires_at`.

Overdue holds are expired by the sweep (`bookwell expire-holds`, the scheduler) and, so that
an expired hold never blocks a booking even when no sweep runs, by a booking they would
refuse (services/booking/reservations.py `book`).
"""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, check_text, invalid, not_found
from bookwell.core.records import build_all
from bookwell.models import (
    CAPACITY_CONSTRAINT,
    Listing,
    ListingKind,
    Reservation,
    ReservationStatus,
    User,
    new_id,
)
from bookwell.services.booking.records import RESERVATION_COLUMNS, ReservationRecord
from bookwell.services.listings import pricing
from bookwell.services.listings.pricing import TERMS_COLUMNS, terms_of
from bookwell.services.listings.stays import Stay, check_not_past
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event

MAX_GUEST_NAME = 200


def unavailable(quantity: int, booked: Stay) -> DomainError:
    return DomainError(
        ErrorCode.UNAVAILABLE,
        f"Not {quantity} unit(s) free on every night from "
        f"{booked.start.isoformat()} to {booked.end.isoformat()}.",
    )


def check_guest_name(name: str | None) -> str:
    """The guest name given, stripped ("" when none is: the guest user's name applies)."""
    name = check_text(name or "", "guestName").strip()
    if len(name) > MAX_GUEST_NAME:
        raise invalid("guestName", f"A guest name has at most {MAX_GUEST_NAME} characters.")
    return name


def is_capacity_error(error: IntegrityError) -> bool:
    return CAPACITY_CONSTRAINT in str(error.orig)


async def _terms(
    *, session: AsyncSession, listing_id: uuid.UUID, guest_id: uuid.UUID
) -> Row[*tuple[Any, ...]] | None:
    guest_name = select(User.name).where(User.id == guest_id).scalar_subquery()
    stmt = select(*TERMS_COLUMNS, guest_name.label("guest_user_name")).where(
        Listing.id == listing_id
    )
    return (await session.execute(stmt)).one_or_none()


async def place_hold(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    guest_id: uuid.UUID,
    booked: Stay,
    quantity: int,
    guest_name: str | None = None,
    hold_minutes: int | None = None,
    reservation_id: uuid.UUID | None = None,
) -> ReservationRecord:
    """A PENDING reservation for `quantity` units on every night of `booked`, or UNAVAILABLE.

    The capacity CHECK on listing_nights is the guarantee; nothing here reads availability
    first, so concurrent bookings cannot both pass a stale check. After UNAVAILABLE the
    transaction is aborted: callers that go on use a savepoint.
    """
    terms = await _terms(session=session, listing_id=listing_id, guest_id=guest_id)
    if terms is None:
        raise not_found("listing", "listingId")
    if terms.kind is not ListingKind.STAY:
        raise invalid("listingId", f"A {terms.kind.value} listing books time slots: use bookSlot.")
    check_not_past(booked, terms.timezone)
    if not 1 <= quantity <= terms.units:
        raise invalid("quantity", f"quantity must be between 1 and {terms.units} (the units).")
    name = check_guest_name(guest_name) or terms.guest_user_name
    priced = pricing.quote(terms_of(terms), booked, quantity)
    minutes = hold_minutes or terms.hold_minutes
    stmt = (
        insert(Reservation)
        .values(
            id=reservation_id or new_id(),
            listing_id=listing_id,
            guest_id=guest_id,
            guest_name=name,
            start_date=booked.start,
            end_date=booked.end,
            quantity=quantity,
            status=ReservationStatus.PENDING,
            total_amount=priced.total,
            currency=terms.currency,
            price_snapshot=priced.snapshot,
            expires_at=func.now() + timedelta(minutes=minutes),
        )
        .returning(*RESERVATION_COLUMNS)
    )
    try:
        return ReservationRecord(*(await session.execute(stmt)).one())
    except IntegrityError as error:
        if is_capacity_error(error):
            raise unavailable(quantity, booked) from None
        raise


async def expire_holds(
    *, session: AsyncSession, listing_id: uuid.UUID | None = None, limit: int = 1000
) -> list[ReservationRecord]:
    """Mark overdue PENDING holds EXPIRED (their units return at once).

    SKIP LOCKED lets several expirers run side by side; a hold being confirmed right now is
    left to that transaction, whose guard re-checks `expires_at` itself. Holds expire one
    statement each, in (listing, first night) order: each frees its nights in date order, so
    the transaction as a whole locks nights in one global order and cannot deadlock with a
    booking or cancellation (tests/services/test_inventory_lock_order.py).
    """
    overdue = select(Reservation.id).where(
        Reservation.status == ReservationStatus.PENDING, Reservation.expires_at <= func.now()
    )
    if listing_id is not None:
        overdue = overdue.where(Reservation.listing_id == listing_id)
    overdue = (
        overdue.order_by(Reservation.listing_id, Reservation.start_date, Reservation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    expired: list[ReservationRecord] = []
    for reservation_id in (await session.execute(overdue)).scalars().all():
        stmt = (
            update(Reservation)
            .where(
                Reservation.id == reservation_id, Reservation.status == ReservationStatus.PENDING
            )
            .values(status=ReservationStatus.EXPIRED)
            .returning(*RESERVATION_COLUMNS)
        )
        expired.extend(build_all(ReservationRecord, await session.execute(stmt)))
    await outbox.record_each(
        session=session,
        event=Event.RESERVATION_EXPIRED,
        reservation_ids=[row.id for row in expired],
    )
    return expired
