"""What a change of dates may do to a reservation's money: nothing while a payment awaits
the guest's confirmation (a PaymentIntent for the old total would pay the new one), and
never a better refund than cancelling would give (services/listings/pricing.py `repriced`).
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, invalid, not_found
from bookwell.models import Listing, ListingKind, Payment, PaymentStatus, Reservation
from bookwell.models import ReservationStatus as Status
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.visibility import visible_to
from bookwell.services.listings.pricing import TERMS_COLUMNS, Terms, terms_of

CHANGEABLE = (Status.PENDING, Status.CONFIRMED)

# Money was taken (and maybe partly given back): a change is settled against it.
SETTLED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


async def payment_before_change(
    *, session: AsyncSession, reservation_id: uuid.UUID
) -> PaymentStatus | None:
    """The reservation's payment status (None: no payment), its row locked until the
    transaction ends; the caller holds the reservation's lock (the payments' lock order).
    Refused while a payment awaits confirmation: the intent charges the old total."""
    stmt = select(Payment.status).where(Payment.reservation_id == reservation_id).with_for_update()
    status = (await session.execute(stmt)).scalar_one_or_none()
    if status is PaymentStatus.UNPAID:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "A payment of this reservation is awaiting confirmation: its dates and quantity "
            "cannot change until that payment succeeds or fails.",
            "id",
        )
    return status


def listing_today() -> ColumnElement[date]:
    """Today in the listing's own timezone (the reservation's listing, joined)."""
    return func.timezone(Listing.timezone, func.now()).cast(Date)


@dataclass(frozen=True, slots=True)
class ChangeTarget:
    """A reservation about to change, with its listing's terms and today there."""

    listing_id: uuid.UUID
    start_date: date
    end_date: date
    quantity: int
    price_snapshot: dict[str, Any]
    guest_id: uuid.UUID | None
    today: date
    timezone: str
    units: int
    terms: Terms
    # The payment's status; None: nothing was paid or tried.
    paid: PaymentStatus | None
    # A PENDING hold with no money taken, and the listing's limits on such holds.
    unpaid_hold: bool
    max_hold_nights: int
    max_hold_units: int
    # Guests on the booking (None: not given) and the listing's maxGuests per unit.
    people: int | None = None
    max_guests: int | None = None


async def locked_for_change(
    *, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> ChangeTarget:
    """The reservation to change, locked until the transaction ends; or why it cannot
    change."""
    stmt = select(
        Reservation.listing_id,
        Reservation.status,
        Reservation.start_date,
        Reservation.end_date,
        Reservation.quantity,
        Reservation.price_snapshot,
        Reservation.external_uid,
        Reservation.guest_id,
        listing_today().label("today"),
        (Reservation.expires_at <= func.now()).label("expired"),
        Listing.max_hold_nights,
        Listing.max_hold_units,
        Listing.max_guests,
        (Reservation.adults + func.coalesce(Reservation.children, 0)).label("people"),
        *TERMS_COLUMNS,
    ).where(Reservation.id == reservation_id, Reservation.listing_id == Listing.id)
    condition = visible_to(principal)
    if condition is not None:
        stmt = stmt.where(condition)
    current = (await session.execute(stmt.with_for_update(of=Reservation))).one_or_none()
    if current is None:
        raise not_found("reservation")
    paid = await payment_before_change(session=session, reservation_id=reservation_id)
    if current.status not in CHANGEABLE or (current.status is Status.PENDING and current.expired):
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "Only a PENDING hold or a CONFIRMED reservation can change dates.",
            "id",
        )
    if current.external_uid is not None:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "A calendar block moves with its calendar: change the event and import it again.",
            "id",
        )
    if current.kind is not ListingKind.STAY:
        raise invalid("id", "A time-slot reservation cannot change nights; book a new slot.")
    return ChangeTarget(
        listing_id=current.listing_id,
        start_date=current.start_date,
        end_date=current.end_date,
        quantity=current.quantity,
        price_snapshot=current.price_snapshot,
        guest_id=current.guest_id,
        today=current.today,
        timezone=current.timezone,
        units=current.units,
        terms=terms_of(current),
        paid=paid,
        unpaid_hold=current.status is Status.PENDING and paid not in SETTLED,
        max_hold_nights=current.max_hold_nights,
        max_hold_units=current.max_hold_units,
        people=current.people,
        max_guests=current.max_guests,
    )
