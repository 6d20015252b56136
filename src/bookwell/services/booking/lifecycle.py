"""A reservation's life after its hold: PENDING -> CONFIRMED -> ACTIVE -> COMPLETED,
PENDING/CONFIRMED -> CANCELLED, PENDING -> EXPIRED (services/booking/holds.py).

Every transition is one guarded UPDATE, a compare-and-set on the status (and on who may do
it, and when), so of two racing transitions exactly one wins. Only when the UPDATE changes
nothing is the reservation read, to tell the caller why. The inventory trigger moves the
units with the status: leaving PENDING/CONFIRMED/ACTIVE frees them in the same transaction.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, invalid, not_found
from bookwell.models import (
    Listing,
    Reservation,
    ReservationStatus,
)
from bookwell.models.payment import reservation_paid
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import changes
from bookwell.services.booking.cancellation import Cancellation, checked_reason
from bookwell.services.booking.changes import CHANGEABLE, listing_today
from bookwell.services.booking.guests import check_guest_count
from bookwell.services.booking.holds import check_hold_size, is_capacity_error, unavailable
from bookwell.services.booking.overdue import expire_overdue_in_the_way
from bookwell.services.booking.records import RESERVATION_COLUMNS, ReservationRecord
from bookwell.services.booking.visibility import visible_to
from bookwell.services.listings import agreed_price, pricing
from bookwell.services.listings.charges import Discount
from bookwell.services.listings.stays import Stay, check_not_past, requested_stay
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event

PENDING = ReservationStatus.PENDING
CONFIRMED = ReservationStatus.CONFIRMED
ACTIVE = ReservationStatus.ACTIVE
AWAITING_APPROVAL = Event.RESERVATION_AWAITING_APPROVAL


def _hosted_by(principal: Principal) -> ColumnElement[bool] | None:
    if principal.is_admin:
        return None
    return Listing.owner_id == principal.user_id


def _paid_or_free() -> ColumnElement[bool]:
    paid = reservation_paid()
    return or_(Reservation.total_amount == 0, paid)


async def _guarded_with_today(
    *conditions: ColumnElement[bool] | None,
    session: AsyncSession,
    reservation_id: uuid.UUID,
    allowed: tuple[ReservationStatus, ...],
    values: dict[str, Any],
) -> tuple[ReservationRecord, date] | None:
    """The reservation after the change, and today at its listing; None if the guard failed."""
    stmt = (
        update(Reservation)
        .where(
            Reservation.id == reservation_id,
            Reservation.listing_id == Listing.id,
            Reservation.status.in_(allowed),
            *(condition for condition in conditions if condition is not None),
        )
        .values(**values)
        .returning(*RESERVATION_COLUMNS, listing_today())
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (ReservationRecord(*row[:-1]), row[-1])


async def _guarded(
    *conditions: ColumnElement[bool] | None,
    session: AsyncSession,
    reservation_id: uuid.UUID,
    allowed: tuple[ReservationStatus, ...],
    values: dict[str, Any],
) -> ReservationRecord | None:
    found = await _guarded_with_today(
        *conditions, session=session, reservation_id=reservation_id, allowed=allowed, values=values
    )
    return None if found is None else found[0]


@dataclass(frozen=True, slots=True)
class _Seen:
    """A reservation as its viewer sees it, with what explains a refused transition."""

    status: ReservationStatus
    is_host: bool
    expired: bool
    paid_or_free: bool
    today: date
    start_date: date
    end_date: date


async def _seen(*, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID) -> _Seen:
    stmt = select(
        Reservation.status,
        (Listing.owner_id == principal.user_id).label("is_host"),
        func.coalesce(Reservation.expires_at <= func.now(), False).label("expired"),
        _paid_or_free().label("paid_or_free"),
        listing_today().label("today"),
        Reservation.start_date,
        Reservation.end_date,
    ).where(Reservation.id == reservation_id, Reservation.listing_id == Listing.id)
    condition = visible_to(principal)
    if condition is not None:
        stmt = stmt.where(condition)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("reservation")
    return _Seen(
        status=row.status,
        is_host=row.is_host or principal.is_admin,
        expired=row.expired,
        paid_or_free=row.paid_or_free,
        today=row.today,
        start_date=row.start_date,
        end_date=row.end_date,
    )


def _wrong_state(seen: _Seen, action: str) -> DomainError:
    if seen.status is PENDING and seen.expired:
        return DomainError(ErrorCode.INVALID_STATE, "This hold has expired.", "id")
    return DomainError(
        ErrorCode.INVALID_STATE, f"A {seen.status.value} reservation cannot be {action}.", "id"
    )


def _host_only(seen: _Seen, action: str) -> None:
    if not seen.is_host:
        raise DomainError(
            ErrorCode.FORBIDDEN, f"Only the listing's host can {action} a reservation.", "id"
        )


async def confirm_reservation(
    *, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRecord:
    """The host accepts a paid hold (listings without instant booking)."""
    values = {"status": CONFIRMED, "confirmed_at": func.now(), "expires_at": None}
    row = await _guarded(
        Reservation.expires_at > func.now(),
        _paid_or_free(),
        _hosted_by(principal),
        session=session,
        reservation_id=reservation_id,
        allowed=(PENDING,),
        values=values,
    )
    if row is not None:
        await outbox.record(
            session=session, event=Event.RESERVATION_CONFIRMED, reservation_id=row.id
        )
        return row
    seen = await _seen(session=session, principal=principal, reservation_id=reservation_id)
    _host_only(seen, "confirm")
    if seen.status is not PENDING or seen.expired:
        raise _wrong_state(seen, "confirmed")
    raise DomainError(
        ErrorCode.PAYMENT_REQUIRED, "The guest has not paid for this reservation yet.", "id"
    )


async def mark_paid(*, session: AsyncSession, reservation_id: uuid.UUID) -> ReservationRecord:
    """Payment arrived for a hold: instant-book listings confirm it; the others keep it
    PENDING for the host, for `approval_hours` more."""
    instant = Listing.instant_book
    values = {
        "status": case((instant, CONFIRMED), else_=PENDING),
        "confirmed_at": case((instant, func.now()), else_=None),
        "expires_at": case(
            (instant, None),
            else_=func.now() + func.make_interval(0, 0, 0, 0, Listing.approval_hours),
        ),
    }
    row = await _guarded(
        Reservation.expires_at > func.now(),
        session=session,
        reservation_id=reservation_id,
        allowed=(PENDING,),
        values=values,
    )
    if row is None:
        raise DomainError(
            ErrorCode.INVALID_STATE, "Only a hold that has not expired can be paid.", "id"
        )
    told = Event.RESERVATION_CONFIRMED if row.status is CONFIRMED else AWAITING_APPROVAL
    await outbox.record(session=session, event=told, reservation_id=row.id)
    return row


async def cancel_reservation(
    *,
    session: AsyncSession,
    principal: Principal,
    reservation_id: uuid.UUID,
    reason: str | None = None,
) -> Cancellation:
    """Cancel as the guest or the listing's host; the units are free when this commits."""
    reason = checked_reason(reason)
    values = {
        "status": ReservationStatus.CANCELLED,
        "cancelled_at": func.now(),
        "cancel_reason": reason,
        "expires_at": None,
    }
    found = await _guarded_with_today(
        visible_to(principal),
        session=session,
        reservation_id=reservation_id,
        allowed=CHANGEABLE,
        values=values,
    )
    if found is None:
        seen = await _seen(session=session, principal=principal, reservation_id=reservation_id)
        raise _wrong_state(seen, "cancelled")
    row, today = found
    by_host = row.guest_id != principal.user_id
    await outbox.record(
        session=session,
        event=Event.RESERVATION_CANCELLED,
        reservation_id=row.id,
        data={"by": "host" if by_host else "guest", "reason": reason},
    )
    return Cancellation(row, by_host=by_host, today=today)


async def change_dates(
    *,
    session: AsyncSession,
    principal: Principal,
    reservation_id: uuid.UUID,
    start_date: date,
    end_date: date | None = None,
    nights: int | None = None,
    quantity: int | None = None,
) -> ReservationRecord:
    """Move a PENDING or CONFIRMED reservation to a new range (and quantity), atomically.

    One UPDATE of the row: the inventory trigger takes the new nights and frees the old in
    the same statement, so either the whole change fits or nothing changes (UNAVAILABLE).
    The price is quoted again at today's rates under the policy agreed at booking
    (agreed_price.changed_quote: a late change keeps the policy's share of the nights given up).
    """
    booked = requested_stay(start_date, end_date, nights, quantity)
    current = await changes.locked_for_change(
        session=session, principal=principal, reservation_id=reservation_id
    )
    check_not_past(booked, current.timezone)
    pricing.refuse_if_rules_broken(
        current.terms, booked, arrival_agreed=booked.start == current.start_date
    )
    wanted = current.quantity if quantity is None else quantity
    if not 1 <= wanted <= current.units:
        raise invalid("quantity", f"quantity must be between 1 and {current.units} (the units).")
    check_guest_count(current.people, current.max_guests, wanted, "quantity")
    if current.unpaid_hold:  # a 1-night hold may not grow past the limits of unpaid holds
        check_hold_size(
            nights=booked.nights,
            quantity=wanted,
            max_nights=current.max_hold_nights,
            max_units=current.max_hold_units,
            nights_field="nights" if nights is not None else "endDate",
        )
    priced = agreed_price.changed_quote(
        agreed=current.price_snapshot,
        start_date=current.start_date,
        # The voucher agreed at booking still applies (no new use: it is the same booking).
        new=pricing.quote(
            current.terms,
            booked,
            wanted,
            discount=Discount.from_json(current.price_snapshot.get("voucher")),
            persons=current.people,
        ),
        new_start=booked.start,
        today=current.today,
        penalised=current.paid in changes.SETTLED and current.guest_id == principal.user_id,
    )
    await expire_overdue_in_the_way(
        session=session,
        listing_id=current.listing_id,
        wanted=booked,
        also_writing=[Stay(current.start_date, current.end_date)],
    )
    values = {
        "start_date": booked.start,
        "end_date": booked.end,
        "quantity": wanted,
        "total_amount": priced.total,
        "price_snapshot": priced.snapshot,
        "tax_amount": agreed_price.tax_of(priced.snapshot),
    }
    try:
        row = await _guarded(
            session=session, reservation_id=reservation_id, allowed=CHANGEABLE, values=values
        )
    except IntegrityError as error:
        if is_capacity_error(error):
            raise unavailable(wanted, booked) from None
        raise
    if row is None:  # changed state since the read above
        raise DomainError(ErrorCode.INVALID_STATE, "The reservation changed meanwhile.", "id")
    # Read under the row's lock (changes.locked_for_change): a change that committed first
    # is what this one changed, so racing changes' events chain (issue 16, item 9).
    was = {
        "old_start_date": current.start_date.isoformat(),
        "old_end_date": current.end_date.isoformat(),
        "old_quantity": current.quantity,
    }
    await outbox.record(
        session=session, event=Event.RESERVATION_CHANGED, reservation_id=row.id, data=was
    )
    return row


async def check_in(
    *, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRecord:
    """The host marks the guest arrived: CONFIRMED -> ACTIVE, from the first day of the stay."""
    today = listing_today()
    row = await _guarded(
        today >= Reservation.start_date,
        today < Reservation.end_date,
        _hosted_by(principal),
        session=session,
        reservation_id=reservation_id,
        allowed=(CONFIRMED,),
        values={"status": ACTIVE, "checked_in_at": func.now()},
    )
    if row is not None:
        await outbox.record(
            session=session,
            event=Event.RESERVATION_CHECKED_IN,
            reservation_id=row.id,
            data={"by": "host"},
        )
        return row
    seen = await _seen(session=session, principal=principal, reservation_id=reservation_id)
    _host_only(seen, "check in")
    if seen.status is not CONFIRMED:
        raise _wrong_state(seen, "checked in")
    if seen.today < seen.start_date:
        message = f"Check-in opens on {seen.start_date.isoformat()} (listing time)."
    else:
        message = f"The stay ended on {seen.end_date.isoformat()}."
    raise DomainError(ErrorCode.INVALID_STATE, message, "id")


async def check_out(
    *, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRecord:
    """The host marks the guest gone: ACTIVE -> COMPLETED. Leaving early shortens the stay to
    the nights slept (at least one), so the rest are free to book at once."""
    slept_until = func.greatest(listing_today(), Reservation.start_date + 1)
    values = {
        "status": ReservationStatus.COMPLETED,
        "checked_out_at": func.now(),
        "end_date": func.least(Reservation.end_date, slept_until),
    }
    row = await _guarded(
        _hosted_by(principal),
        session=session,
        reservation_id=reservation_id,
        allowed=(ACTIVE,),
        values=values,
    )
    if row is not None:
        await outbox.record(
            session=session, event=Event.RESERVATION_COMPLETED, reservation_id=row.id
        )
        return row
    seen = await _seen(session=session, principal=principal, reservation_id=reservation_id)
    _host_only(seen, "check out")
    raise _wrong_state(seen, "checked out")
