"""Booking flows: hold a stay, and move a reservation through its life (confirm, cancel,
change dates, check in, check out). Each owns its transaction; those that free units offer
them to the waitlist after the commit (flows/waitlist.py)."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.flows.listing_gate import in_listing_turn
from bookwell.flows.transaction import in_one_transaction
from bookwell.flows.waitlist import offer_freed_units
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import holds, lifecycle, reservations, stay_statement
from bookwell.services.booking.full_nights import full_nights_of
from bookwell.services.booking.guests import NO_GUESTS
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.listings.terms_cache import terms_cache_of
from bookwell.services.payments import service as payments
from bookwell.services.payments.provider import PaymentProvider

T = TypeVar("T")


async def book(
    db: Database, *, guest: Principal, data: NewReservation, idempotency_key: str | None = None
) -> ReservationRecord:
    """Hold the stay, in one of the listing's turns (flows/listing_gate.py): in one
    statement in autocommit when it can (services/booking/stay_statement.py: one round trip
    with the listing's terms cached), else in a transaction of its own. That one expires
    the overdue holds in its way, waiting for whoever else is expiring them (services/
    booking/overdue.py): an expired hold never blocks a booking, even with many at once."""
    entered = full_nights_of(db).ticket()  # before the wait (services/booking/full_nights.py)
    return await in_listing_turn(
        db, data.listing_id, lambda: _book(db, guest, data, idempotency_key, entered)
    )


async def _book(
    db: Database,
    guest: Principal,
    data: NewReservation,
    idempotency_key: str | None,
    entered: int,
) -> ReservationRecord:
    # Bookings without an account (their IP's holds are capped), with a voucher (its uses
    # are counted under its lock) or with guests to check and record keep the transaction.
    if data.origin is None and data.voucher_code is None and data.guests == NO_GUESTS:
        booked = reservations.check_booking_input(
            start_date=data.start_date,
            end_date=data.end_date,
            nights=data.nights,
            quantity=data.quantity,
            guest_name=data.guest_name,
            idempotency_key=idempotency_key,
        )
        done = await stay_statement.book_in_one_statement(
            db=db,
            cache=terms_cache_of(db),
            guest=guest,
            listing_id=data.listing_id,
            booked=booked,
            quantity=data.quantity,
            guest_name=data.guest_name,
            nights_field="nights" if data.nights is not None else "endDate",
            idempotency_key=idempotency_key,
            fingerprint=data.fingerprint(booked) if idempotency_key is not None else None,
            full_nights=full_nights_of(db),
            entered=entered,
        )
        if done is not None:
            return done
    return await in_one_transaction(
        db,
        lambda session: reservations.create_reservation(
            session=session, guest=guest, data=data, idempotency_key=idempotency_key
        ),
    )


async def in_its_listing_turn(
    db: Database, reservation_id: uuid.UUID, work: Callable[[], Awaitable[T]]
) -> T:
    """`work` on an existing reservation, in one of its listing's turns."""
    async with db.read() as session:
        listing_id = await reservations.listing_of(session=session, reservation_id=reservation_id)
    return await in_listing_turn(db, listing_id, work)


async def expire_overdue_holds(
    db: Database, *, listing_id: uuid.UUID | None = None
) -> list[ReservationRecord]:
    """Overdue PENDING holds (on one listing, or every listing) become EXPIRED and free
    their units; the expired rows (the sweep's work). Offering those units is the caller's
    next step."""
    return await in_one_transaction(
        db, lambda session: holds.expire_holds(session=session, listing_id=listing_id)
    )


async def confirm(
    db: Database, *, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRecord:
    """The host accepts a paid booking on a listing without instant booking."""
    return await in_one_transaction(
        db,
        lambda session: lifecycle.confirm_reservation(
            session=session, principal=principal, reservation_id=reservation_id
        ),
    )


async def cancel_and_refund(
    *,
    session: AsyncSession,
    principal: Principal,
    reservation_id: uuid.UUID,
    reason: str | None = None,
    provider: PaymentProvider,
) -> ReservationRecord:
    """Cancel and refund what the agreed policy gives back, in the caller's transaction: a
    refund that fails rolls the cancellation back, leaving the booking as it was to be
    cancelled again. The one place the two are composed (`cancel`, and the demo seed)."""
    cancelled = await lifecycle.cancel_reservation(
        session=session, principal=principal, reservation_id=reservation_id, reason=reason
    )
    await payments.refund_for_cancellation(
        session=session,
        reservation=cancelled.reservation,
        by_host=cancelled.by_host,
        today=cancelled.today,
        provider=provider,
    )
    return cancelled.reservation


async def cancel(
    db: Database,
    *,
    principal: Principal,
    reservation_id: uuid.UUID,
    reason: str | None = None,
    provider: PaymentProvider,
) -> ReservationRecord:
    """Cancel as the guest or the host, refund by the policy, commit, then offer the freed
    units to the waitlist; in one of the listing's turns."""

    async def cancelled() -> ReservationRecord:
        reservation = await in_one_transaction(
            db,
            lambda session: cancel_and_refund(
                session=session,
                principal=principal,
                reservation_id=reservation_id,
                reason=reason,
                provider=provider,
            ),
        )
        await offer_freed_units(db, [reservation.listing_id])
        return reservation

    return await in_its_listing_turn(db, reservation_id, cancelled)


async def change_dates(
    db: Database,
    *,
    principal: Principal,
    reservation_id: uuid.UUID,
    start_date: date,
    end_date: date | None = None,
    nights: int | None = None,
    quantity: int | None = None,
    provider: PaymentProvider,
) -> ReservationRecord:
    """Move the reservation and settle its new price in one transaction (a dearer change is
    refused and changes nothing), then offer the nights it let go of to the waitlist; in one
    of the listing's turns."""

    async def change(session: AsyncSession) -> ReservationRecord:
        changed = await lifecycle.change_dates(
            session=session,
            principal=principal,
            reservation_id=reservation_id,
            start_date=start_date,
            end_date=end_date,
            nights=nights,
            quantity=quantity,
        )
        await payments.settle_price_change(session=session, reservation=changed, provider=provider)
        return changed

    async def changed() -> ReservationRecord:
        reservation = await in_one_transaction(db, change)
        await offer_freed_units(db, [reservation.listing_id])
        return reservation

    return await in_its_listing_turn(db, reservation_id, changed)


async def check_in(
    db: Database, *, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRecord:
    return await in_one_transaction(
        db,
        lambda session: lifecycle.check_in(
            session=session, principal=principal, reservation_id=reservation_id
        ),
    )


async def check_out(
    db: Database, *, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRecord:
    """Leaving early frees the nights not slept: they go to the waitlist after the commit."""

    async def checked_out() -> ReservationRecord:
        reservation = await in_one_transaction(
            db,
            lambda session: lifecycle.check_out(
                session=session, principal=principal, reservation_id=reservation_id
            ),
        )
        await offer_freed_units(db, [reservation.listing_id])
        return reservation

    return await in_its_listing_turn(db, reservation_id, checked_out)
