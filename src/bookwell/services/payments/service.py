"""Paying for a reservation and giving money back.

Paying holds the reservation's row lock (SELECT ... FOR UPDATE) while the provider is asked.
That keeps one transaction the whole truth: a second payment of the same reservation, with
the same key or another, waits and then finds it PAID, so it is charged once; a cancel or an
expiry cannot slip in between the charge and `mark_paid`. The price is a database connection
and one row lock held for the provider's answer (nothing for the built-in provider, a
Stripe round trip otherwise), which blocks only work on that one reservation. Should the
transaction fail after the provider took the money, the idempotency key sent to the
provider replays the same charge on retry, and Stripe's webhook records it in any case.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, not_found
from bookwell.models import PaymentStatus, ReservationStatus
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import lifecycle, reservations
from bookwell.services.booking.idempotency import check_idempotency_key
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.listings import agreed_price
from bookwell.services.payments import records
from bookwell.services.payments.provider import (
    ChargeStatus,
    PaymentProvider,
    ProviderUnavailable,
)
from bookwell.services.payments.records import PayableReservation, PaymentRecord
from bookwell.services.slots.removed_units import holds_a_removed_unit, removed_unit_error

REFUNDABLE = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    reservation: ReservationRecord
    payment: PaymentRecord | None
    # Set when the guest's browser must confirm the payment with the provider (Stripe.js).
    client_secret: str | None = None


class RecordedFailure(DomainError):
    """An expected failure raised after its outcome was written (a declined attempt is kept
    as FAILED): the caller commits the transaction before answering the error."""


async def _guests_reservation(
    *, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> PayableReservation:
    reservation = await records.lock_reservation(session=session, reservation_id=reservation_id)
    if reservation is not None and reservation.guest_id == principal.user_id:
        return reservation
    visible = await reservations.reservations_by_ids(
        session=session, viewer=principal, ids=[reservation_id]
    )
    if not visible:
        raise not_found("reservation")
    raise DomainError(ErrorCode.FORBIDDEN, "Only the reservation's guest can pay for it.", "id")


def _not_payable(reservation: ReservationRecord) -> str:
    if reservation.status is ReservationStatus.PENDING:
        return "This hold has expired; book again to pay."
    return f"A {reservation.status.value} reservation cannot be paid."


def _declined(message: str | None) -> RecordedFailure:
    return RecordedFailure(ErrorCode.PAYMENT_FAILED, message or "The payment was declined.", "id")


async def pay_reservation(
    *,
    session: AsyncSession,
    principal: Principal,
    reservation_id: uuid.UUID,
    idempotency_key: str,
    provider: PaymentProvider,
) -> PaymentOutcome:
    """Charge the reservation's total; once paid, `lifecycle.mark_paid` moves it on.

    Already paid: answered as it is. The key of a declined attempt replays its decline
    (RecordedFailure, PAYMENT_FAILED); another key tries again while the hold lasts. While a
    payment awaits the guest's confirmation, every call continues that one attempt, so the
    guest never has two open payments.
    """
    key = check_idempotency_key(idempotency_key)
    reservation = await _guests_reservation(
        session=session, principal=principal, reservation_id=reservation_id
    )
    payment = await records.lock_payment(session=session, reservation_id=reservation_id)
    if payment is not None and payment.status in records.SETTLED:
        return PaymentOutcome(reservation, payment)
    if (
        payment is not None
        and payment.status is PaymentStatus.FAILED
        and payment.idempotency_key == key
    ):
        raise _declined(payment.failure_message)
    if not reservation.payable:
        raise DomainError(ErrorCode.INVALID_STATE, _not_payable(reservation), "id")
    if await holds_a_removed_unit(session=session, reservation_id=reservation_id):
        raise removed_unit_error()
    if payment is not None and payment.status is PaymentStatus.UNPAID and payment.idempotency_key:
        key = payment.idempotency_key
    elif await records.key_used_elsewhere(
        session=session, guest_id=principal.user_id, reservation_id=reservation_id, key=key
    ):
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used to pay another reservation.",
            "idempotencyKey",
        )
    try:
        charge = await provider.charge(
            amount=reservation.total_amount,
            currency=reservation.currency,
            # Scoped to the reservation: the provider sees keys of every guest.
            idempotency_key=f"bookwell-pay-{reservation_id}-{key}",
            reservation_id=reservation_id,
            description=f"Bookwell reservation {reservation_id}",
        )
    except ProviderUnavailable:
        raise DomainError(
            ErrorCode.PAYMENT_FAILED,
            "The payment service did not answer. Try again with the same idempotency key.",
            "id",
        ) from None
    payment = await records.record_charge(
        session=session,
        reservation=reservation,
        provider=provider.name,
        idempotency_key=key,
        charge=charge,
    )
    if charge.status is ChargeStatus.FAILED:
        raise _declined(charge.failure_message)
    if charge.status is ChargeStatus.REQUIRES_ACTION:
        return PaymentOutcome(reservation, payment, charge.client_secret)
    paid = await lifecycle.mark_paid(session=session, reservation_id=reservation_id)
    return PaymentOutcome(paid, payment)


async def refund_up_to(
    *,
    session: AsyncSession,
    provider: PaymentProvider,
    reservation_id: uuid.UUID,
    total_refund: Decimal | None,
) -> PaymentRecord | None:
    """Refund until `total_refund` (None: everything) has gone back; the payment row after.

    Idempotent: what was refunded before counts, and the provider's key names the target,
    so a retried transaction replays the provider's refund instead of making another.
    """
    payment = await records.lock_payment(session=session, reservation_id=reservation_id)
    if payment is None or payment.status not in records.SETTLED:
        return None
    target = payment.amount if total_refund is None else min(total_refund, payment.amount)
    missing = target - payment.refunded_amount
    if missing <= 0 or payment.status not in REFUNDABLE:
        return payment
    if payment.provider_ref is None:
        raise RuntimeError(f"payment {payment.id} was settled without the provider's reference")
    try:
        result = await provider.refund(
            provider_ref=payment.provider_ref,
            amount=missing,
            currency=payment.currency,
            idempotency_key=f"bookwell-refund-{reservation_id}-{target}",
        )
    except ProviderUnavailable:
        result = None
    if result is None or not result.succeeded:
        reason = result.failure_message if result else "the payment service did not answer"
        raise DomainError(ErrorCode.PAYMENT_FAILED, f"The refund failed: {reason}", "id")
    return await records.record_refunded(session=session, payment=payment, refunded=target)


async def refund_for_cancellation(
    *,
    session: AsyncSession,
    reservation: ReservationRecord,
    by_host: bool,
    today: date,
    provider: PaymentProvider,
) -> PaymentRecord | None:
    """Give back what the reservation's price snapshot says for a cancellation on `today`
    (the listing's date). None when nothing was paid; else the payment row: REFUNDED,
    PARTIALLY_REFUNDED, or still PAID when the policy gives nothing back. A failed refund
    raises PAYMENT_FAILED, rolling the cancellation back so it can be tried again."""
    payment = await records.lock_payment(session=session, reservation_id=reservation.id)
    if payment is None or not reservation.price_snapshot:
        # Booked before price snapshots: no policy was agreed, everything goes back.
        due = None
    else:
        due = agreed_price.refund_due(
            snapshot=reservation.price_snapshot,
            start_date=reservation.start_date,
            today=today,
            by_host=by_host,
        )
        # Counted from the payment: what changes of dates gave back before (the amount paid
        # less the current price), then what the policy gives back of the current price.
        due = max(payment.amount - reservation.total_amount, Decimal(0)) + due
    return await refund_up_to(
        session=session, provider=provider, reservation_id=reservation.id, total_refund=due
    )


async def refund_in_full(
    *, session: AsyncSession, reservation_id: uuid.UUID, provider: PaymentProvider
) -> PaymentRecord | None:
    """Everything back: for a paid hold that ended without a stay (expired awaiting the
    host, declined by the host)."""
    return await refund_up_to(
        session=session, provider=provider, reservation_id=reservation_id, total_refund=None
    )


async def settle_price_change(
    *, session: AsyncSession, reservation: ReservationRecord, provider: PaymentProvider
) -> PaymentRecord | None:
    """After new dates re-priced a paid reservation: refund what is now paid too much.

    A change that costs more than was paid is refused (PAYMENT_REQUIRED, which rolls the
    change back): one payment per reservation is the model, so a dearer change is a new
    booking. Unpaid holds are simply re-priced.
    """
    payment = await records.lock_payment(session=session, reservation_id=reservation.id)
    if payment is None or payment.status not in records.SETTLED:
        return None
    kept = payment.amount - payment.refunded_amount
    if reservation.total_amount > kept:
        raise DomainError(
            ErrorCode.PAYMENT_REQUIRED,
            f"The new dates cost {reservation.total_amount - kept} {reservation.currency} more "
            "than was paid; cancel and book them instead.",
            "startDate",
        )
    return await refund_up_to(
        session=session,
        provider=provider,
        reservation_id=reservation.id,
        total_refund=payment.amount - reservation.total_amount,
    )
