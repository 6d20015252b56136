"""Holds: a PENDING reservation takes its units at once and gives them back at `expires_at`.

Overdue holds are expired by the sweep (`bookwell expire-holds`, the scheduler) and, so that
an expired hold never blocks a booking even when no sweep runs, by the booking or change of
dates whose nights they share, in its own transaction (services/booking/overdue.py).
"""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import (
    DomainError,
    ErrorCode,
    InputErrors,
    check_text,
    invalid,
    not_found,
)
from bookwell.core.records import build_all
from bookwell.models import (
    CAPACITY_CONSTRAINT,
    Listing,
    ListingKind,
    Payment,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    User,
    new_id,
)
from bookwell.services.booking.guests import (
    NO_GUESTS,
    Guests,
    check_guest_count,
    checked_guests,
)
from bookwell.services.booking.records import RESERVATION_COLUMNS, ReservationRecord
from bookwell.services.listings import agreed_price, pricing
from bookwell.services.listings.pricing import TERMS_COLUMNS, terms_of
from bookwell.services.listings.stays import Stay, check_not_past
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event
from bookwell.services.vouchers.redeem import Applied

MAX_GUEST_NAME = 200
# Money was taken: a PENDING hold with such a payment awaits its host, it is not unpaid.
SETTLED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


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


def unpaid_hold() -> ColumnElement[bool]:
    """The reservation in the statement is a hold nobody paid for that still takes units."""
    paid = exists().where(Payment.reservation_id == Reservation.id, Payment.status.in_(SETTLED))
    return (
        (Reservation.status == ReservationStatus.PENDING)
        & (Reservation.expires_at > func.now())
        & ~paid
    )


def _hold_limit(message: str, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.HOLD_LIMIT, message, field)


def check_hold_size(
    *, nights: int, quantity: int, max_nights: int, max_units: int, nights_field: str
) -> None:
    """One unpaid hold takes at most the listing's maxHoldNights and maxHoldUnits (both
    mistakes at once)."""
    found = InputErrors()
    if nights > max_nights:
        found.add(
            _hold_limit(
                f"An unpaid hold on this listing takes at most {max_nights} night(s) (the "
                "listing's maxHoldNights): book fewer, or ask the host to raise it.",
                nights_field,
            )
        )
    if quantity > max_units:
        found.add(
            _hold_limit(
                f"An unpaid hold on this listing takes at most {max_units} unit(s) (the "
                "listing's maxHoldUnits): book fewer, or ask the host to raise it.",
                "quantity",
            )
        )
    found.raise_if_any()


async def check_hold_limits(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    guest_id: uuid.UUID,
    booked: Stay,
    quantity: int,
    nights_field: str,
) -> None:
    """Refuse a new unpaid hold that passes one of the listing's limits (HOLD_LIMIT, naming
    it): its nights and units, and the unpaid holds the guest and everyone have there now.

    The listing's row stays locked (FOR NO KEY UPDATE, which foreign-key checks do not wait
    for) until the transaction ends, so holds on one listing are counted one after another
    and two cannot both pass the last free place. Call it before the hold takes any
    inventory row: every hold locks its listing first, so the order stays one.
    """
    limits = (
        await session.execute(
            select(
                Listing.kind,
                Listing.units,
                Listing.timezone,
                Listing.max_hold_nights,
                Listing.max_hold_units,
                Listing.max_guest_holds,
                Listing.max_listing_holds,
            )
            .where(Listing.id == listing_id)
            .with_for_update(key_share=True)
        )
    ).one_or_none()
    if limits is None or limits.kind is not ListingKind.STAY or not 1 <= quantity <= limits.units:
        return  # place_hold answers what is wrong with the request itself
    check_not_past(booked, limits.timezone)
    check_hold_size(
        nights=booked.nights,
        quantity=quantity,
        max_nights=limits.max_hold_nights,
        max_units=limits.max_hold_units,
        nights_field=nights_field,
    )
    await check_unpaid_hold_counts(
        session=session,
        listing_id=listing_id,
        guest_id=guest_id,
        max_guest_holds=limits.max_guest_holds,
        max_listing_holds=limits.max_listing_holds,
    )


async def check_slot_hold_limits(
    *, session: AsyncSession, listing_id: uuid.UUID, guest_id: uuid.UUID, quantity: int
) -> None:
    """check_hold_limits for a slot listing (restaurant, space, equipment): its units and
    the unpaid holds the guest and everyone have there, counted under the listing's lock.
    A slot has no nights: its length is bounded by the listing's opening hours."""
    limits = (
        await session.execute(
            select(Listing.max_hold_units, Listing.max_guest_holds, Listing.max_listing_holds)
            .where(Listing.id == listing_id)
            .with_for_update(key_share=True)
        )
    ).one()
    if quantity > limits.max_hold_units:
        raise _hold_limit(
            f"An unpaid hold on this listing takes at most {limits.max_hold_units} unit(s) "
            "(the listing's maxHoldUnits): book fewer, or ask the host to raise it.",
            "quantity",
        )
    await check_unpaid_hold_counts(
        session=session,
        listing_id=listing_id,
        guest_id=guest_id,
        max_guest_holds=limits.max_guest_holds,
        max_listing_holds=limits.max_listing_holds,
    )


async def check_unpaid_hold_counts(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    guest_id: uuid.UUID,
    max_guest_holds: int,
    max_listing_holds: int,
) -> None:
    """HOLD_LIMIT when the guest, or everyone, already has the listing's most unpaid holds.
    The caller holds the listing's row lock, so holds are counted one after another."""
    counts = (
        await session.execute(
            select(
                func.count().filter(Reservation.guest_id == guest_id).label("guest"),
                func.count().label("listing"),
            ).where(Reservation.listing_id == listing_id, unpaid_hold())
        )
    ).one()
    if counts.guest >= max_guest_holds:
        raise hold_count_refusal(GUEST_HOLDS, counts.guest)
    if counts.listing >= max_listing_holds:
        raise hold_count_refusal(LISTING_HOLDS, counts.listing)


GUEST_HOLDS = "guest"
LISTING_HOLDS = "listing"


def hold_count_refusal(whose: str, count: int) -> DomainError:
    """HOLD_LIMIT for the guest's (GUEST_HOLDS) or the listing's (LISTING_HOLDS) unpaid
    holds, `count` of them, at the limit."""
    if whose == GUEST_HOLDS:
        return _hold_limit(
            f"You have {count} unpaid hold(s) on this listing, its limit (the listing's "
            "maxGuestHolds): pay for or cancel one first."
        )
    return _hold_limit(
        f"This listing has {count} unpaid holds, its limit (the listing's "
        "maxListingHolds): try again when one is paid or expires."
    )


def is_capacity_error(error: IntegrityError) -> bool:
    return CAPACITY_CONSTRAINT in str(error.orig)


async def _terms(
    *, session: AsyncSession, listing_id: uuid.UUID, guest_id: uuid.UUID
) -> Row[*tuple[Any, ...]] | None:
    guest_name = select(User.name).where(User.id == guest_id).scalar_subquery()
    stmt = select(*TERMS_COLUMNS, Listing.max_guests, guest_name.label("guest_user_name")).where(
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
    guest_phone: str | None = None,
    hold_minutes: int | None = None,
    reservation_id: uuid.UUID | None = None,
    guests: Guests = NO_GUESTS,
    voucher: Applied | None = None,
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
    agreed = terms_of(terms)
    pricing.refuse_if_rules_broken(agreed, booked)
    guests = checked_guests(guests.adults, guests.children, guests.special_requests)
    check_guest_count(guests.people, terms.max_guests, quantity)
    name = check_guest_name(guest_name) or terms.guest_user_name
    discount = None if voucher is None else voucher.discount
    priced = pricing.quote(agreed, booked, quantity, discount=discount, persons=guests.people)
    minutes = hold_minutes or terms.hold_minutes
    stmt = (
        insert(Reservation)
        .values(
            id=reservation_id or new_id(),
            listing_id=listing_id,
            guest_id=guest_id,
            guest_name=name,
            guest_phone=guest_phone,
            start_date=booked.start,
            end_date=booked.end,
            quantity=quantity,
            status=ReservationStatus.PENDING,
            total_amount=priced.total,
            currency=terms.currency,
            price_snapshot=priced.snapshot,
            tax_amount=agreed_price.tax_of(priced.snapshot),
            voucher_id=None if voucher is None else voucher.voucher_id,
            expires_at=func.now() + timedelta(minutes=minutes),
            **guests.columns(),
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
