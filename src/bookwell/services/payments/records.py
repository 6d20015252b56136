"""Reading and writing payment rows.

Lock order, everywhere: the reservation row first, then its payment row. Paying, webhooks and
refunds all take the reservation's lock before touching its payment (a cancel's guarded UPDATE
takes it too), so they run one after another per reservation and never deadlock.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.records import build_all, columns_for
from bookwell.models import Payment, PaymentStatus, Reservation, ReservationStatus, new_id
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event
from bookwell.services.payments.provider import Charge, ChargeStatus


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    id: uuid.UUID
    created_at: datetime
    reservation_id: uuid.UUID
    status: PaymentStatus
    provider: str
    provider_ref: str | None
    amount: Decimal
    refunded_amount: Decimal
    currency: str
    idempotency_key: str | None
    failure_message: str | None
    paid_at: datetime | None
    refunded_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PayableReservation(ReservationRecord):
    """A reservation locked for paying: `payable` when PENDING and its hold not over at the
    transaction's start. (A default only because the fields before it have one.)"""

    payable: bool = False


PAYMENT_COLUMNS = columns_for(PaymentRecord, Payment.__table__)
# Money was taken (and maybe partly or wholly given back).
SETTLED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
STATUS_OF_CHARGE = {
    ChargeStatus.SUCCEEDED: PaymentStatus.PAID,
    ChargeStatus.REQUIRES_ACTION: PaymentStatus.UNPAID,
    ChargeStatus.FAILED: PaymentStatus.FAILED,
}


async def lock_reservation(
    *, session: AsyncSession, reservation_id: uuid.UUID
) -> PayableReservation | None:
    """The reservation, locked until the transaction ends, with `payable`: PENDING and its
    hold not over at the transaction's start (the instant every guard in it uses)."""
    payable = (Reservation.status == ReservationStatus.PENDING) & func.coalesce(
        Reservation.expires_at > func.now(), False
    )
    stmt = (
        select(*columns_for(PayableReservation, Reservation.__table__, payable=payable))
        .where(Reservation.id == reservation_id)
        .with_for_update(of=Reservation)
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else PayableReservation(*row)


async def lock_payment(*, session: AsyncSession, reservation_id: uuid.UUID) -> PaymentRecord | None:
    stmt = (
        select(*PAYMENT_COLUMNS).where(Payment.reservation_id == reservation_id).with_for_update()
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else PaymentRecord(*row)


async def reservation_of_ref(*, session: AsyncSession, provider_ref: str) -> uuid.UUID | None:
    stmt = select(Payment.reservation_id).where(Payment.provider_ref == provider_ref)
    return (await session.execute(stmt)).scalar_one_or_none()


async def key_used_elsewhere(
    *, session: AsyncSession, guest_id: uuid.UUID, reservation_id: uuid.UUID, key: str
) -> bool:
    """Did this guest pay another reservation with this idempotency key?"""
    stmt = (
        select(Payment.id)
        .join(Reservation, Reservation.id == Payment.reservation_id)
        .where(
            Reservation.guest_id == guest_id,
            Payment.reservation_id != reservation_id,
            Payment.idempotency_key == key,
        )
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


async def record_charge(
    *,
    session: AsyncSession,
    reservation: ReservationRecord,
    provider: str,
    idempotency_key: str | None,
    charge: Charge,
    amount: Decimal | None = None,
) -> PaymentRecord:
    """Write an attempt's outcome as the reservation's one payment row (made or replaced)."""
    status = STATUS_OF_CHARGE[charge.status]
    values = {
        "status": status,
        "provider": provider,
        "provider_ref": charge.provider_ref,
        "amount": reservation.total_amount if amount is None else amount,
        "currency": reservation.currency,
        "idempotency_key": idempotency_key,
        "failure_message": charge.failure_message,
        "paid_at": func.now() if status is PaymentStatus.PAID else None,
        "updated_at": func.now(),
    }
    stmt = (
        insert(Payment)
        .values(id=new_id(), reservation_id=reservation.id, refunded_amount=Decimal(0), **values)
        .on_conflict_do_update(index_elements=[Payment.reservation_id], set_=values)
        .returning(*PAYMENT_COLUMNS)
    )
    payment = PaymentRecord(*(await session.execute(stmt)).one())
    if status is PaymentStatus.PAID:
        await outbox.record(
            session=session,
            event=Event.PAYMENT_RECORDED,
            reservation_id=reservation.id,
            dedupe_key=f"payment.recorded:{payment.id}",
        )
    return payment


async def record_refunded(
    *, session: AsyncSession, payment: PaymentRecord, refunded: Decimal
) -> PaymentRecord:
    """Set the total refunded so far (never above the amount) and the status it means."""
    status = (
        PaymentStatus.REFUNDED if refunded >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    )
    stmt = (
        update(Payment)
        .where(Payment.id == payment.id)
        .values(
            refunded_amount=min(refunded, payment.amount),
            status=status,
            refunded_at=func.now(),
            updated_at=func.now(),
        )
        .returning(*PAYMENT_COLUMNS)
    )
    return PaymentRecord(*(await session.execute(stmt)).one())


async def record_failure(
    *, session: AsyncSession, payment: PaymentRecord, message: str
) -> PaymentRecord:
    stmt = (
        update(Payment)
        .where(Payment.id == payment.id)
        .values(status=PaymentStatus.FAILED, failure_message=message[:500], updated_at=func.now())
        .returning(*PAYMENT_COLUMNS)
    )
    return PaymentRecord(*(await session.execute(stmt)).one())


async def payments_of_reservations(
    *, session: AsyncSession, reservation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PaymentRecord]:
    """For the dataloader: callers pass only reservations the viewer may see."""
    stmt = select(*PAYMENT_COLUMNS).where(Payment.reservation_id.in_(reservation_ids))
    payments = build_all(PaymentRecord, await session.execute(stmt))
    return {payment.reservation_id: payment for payment in payments}


async def expired_holds_to_refund(*, session: AsyncSession) -> list[uuid.UUID]:
    """Reservations whose hold EXPIRED after money was taken, and not all of it given back:
    what the sweep refunds in full."""
    stmt = (
        select(Reservation.id)
        .join(Payment, Payment.reservation_id == Reservation.id)
        .where(
            Reservation.status == ReservationStatus.EXPIRED,
            Payment.status.in_(SETTLED),
            Payment.refunded_amount < Payment.amount,
        )
    )
    return list((await session.execute(stmt)).scalars())
