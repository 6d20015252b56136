"""Stripe webhook events, already verified (StripeProvider.construct_event), applied to payments.

Stripe delivers at least once and in any order, so every handler compares with what is
recorded and changes only what is new: a redelivered event changes nothing.
"""

import enum
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import PaymentStatus
from bookwell.services.booking import lifecycle
from bookwell.services.payments import records
from bookwell.services.payments.currency import from_minor_units, to_minor_units
from bookwell.services.payments.provider import Charge, ChargeStatus, PaymentProvider
from bookwell.services.payments.records import PayableReservation
from bookwell.services.payments.service import refund_up_to
from bookwell.services.slots.removed_units import holds_a_removed_unit

log = logging.getLogger(__name__)


class EventOutcome(enum.StrEnum):
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"
    UNCHANGED = "unchanged"
    IGNORED = "ignored"


def _reservation_id_of(intent: Mapping[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID((intent.get("metadata") or {}).get("reservation_id", ""))
    except ValueError:
        return None


async def _reservation_of(
    *, session: AsyncSession, intent_id: str | None, intent: Mapping[str, Any] | None = None
) -> uuid.UUID | None:
    """Whose payment this is: by the recorded PaymentIntent id, else by the metadata we set
    (the transaction that created the intent may have rolled back)."""
    found = (
        await records.reservation_of_ref(session=session, provider_ref=intent_id)
        if intent_id
        else None
    )
    return found or (_reservation_id_of(intent) if intent is not None else None)


def _received(intent: Mapping[str, Any]) -> tuple[int, str] | None:
    """What the intent took: its `amount_received` in minor units (its `amount` only when
    Stripe sent no `amount_received`), and its currency in capitals; None if malformed."""
    amount = intent.get("amount_received")
    if amount is None:
        amount = intent.get("amount")
    currency = intent.get("currency")
    if type(amount) is not int or amount < 0 or not isinstance(currency, str):
        return None
    return amount, currency.upper()


def _mismatch(
    received: tuple[int, str] | None, reservation: PayableReservation, named: uuid.UUID | None
) -> str | None:
    """Why this intent cannot pay the reservation (None: it can): it must name no other
    reservation and bring exactly the reservation's total, in its currency."""
    if named is not None and named != reservation.id:
        return "The payment was made for another reservation"
    try:
        due = to_minor_units(reservation.total_amount, reservation.currency)
    except ValueError:
        due = -1
    if received is None or received != (due, reservation.currency.upper()):
        return (
            f"The payment received did not match the reservation's total of "
            f"{reservation.total_amount} {reservation.currency}"
        )
    return None


async def _give_back(
    *, intent_id: str, received: tuple[int, str] | None, provider: PaymentProvider
) -> None:
    """Refund everything an intent took (in its own currency): money that pays for nothing.
    One idempotency key per intent, so a redelivered event refunds it once."""
    if received is None or received[0] == 0:
        return
    amount, currency = received
    result = await provider.refund(
        provider_ref=intent_id,
        amount=from_minor_units(amount, currency),
        currency=currency,
        idempotency_key=f"bookwell-refund-intent-{intent_id}",
    )
    if not result.succeeded:
        raise DomainError(
            ErrorCode.PAYMENT_FAILED, f"The refund of {intent_id} failed: {result.failure_message}"
        )


async def _intent_succeeded(
    *, session: AsyncSession, intent: Mapping[str, Any], provider: PaymentProvider
) -> EventOutcome:
    """Record the money and move the hold on, only when the intent brings exactly what the
    reservation costs (amount received and currency) and names no other reservation; any
    other intent's money goes back, and the hold stays unpaid (its payment FAILED)."""
    intent_id = intent.get("id")
    if not isinstance(intent_id, str):
        return EventOutcome.IGNORED
    recorded = await records.reservation_of_ref(session=session, provider_ref=intent_id)
    named = _reservation_id_of(intent)
    reservation_id = recorded or named
    if reservation_id is None:
        return EventOutcome.IGNORED
    reservation = await records.lock_reservation(session=session, reservation_id=reservation_id)
    if reservation is None:
        return EventOutcome.IGNORED
    payment = await records.lock_payment(session=session, reservation_id=reservation.id)
    received = _received(intent)
    if payment is not None and payment.status in records.SETTLED:
        if payment.provider_ref == intent_id:
            return EventOutcome.UNCHANGED
        # An older attempt was confirmed after another one paid: give that money back.
        log.warning("second payment %s of reservation %s: refunded", intent_id, reservation.id)
        await _give_back(intent_id=intent_id, received=received, provider=provider)
        return EventOutcome.REFUNDED
    mismatch = _mismatch(received, reservation, named)
    if mismatch is not None:
        log.warning("payment %s of reservation %s: %s", intent_id, reservation.id, mismatch)
        await _give_back(intent_id=intent_id, received=received, provider=provider)
        if (
            payment is not None
            and payment.provider_ref == intent_id
            and payment.status is PaymentStatus.UNPAID
        ):
            message = f"{mismatch}; it was refunded. Pay again with a new idempotency key."
            await records.record_failure(session=session, payment=payment, message=message)
        return EventOutcome.REFUNDED
    await records.record_charge(
        session=session,
        reservation=reservation,
        provider=provider.name,
        idempotency_key=payment.idempotency_key if payment else None,
        charge=Charge(ChargeStatus.SUCCEEDED, intent_id),
        amount=reservation.total_amount,
    )
    if reservation.payable and not await holds_a_removed_unit(
        session=session, reservation_id=reservation.id
    ):
        await lifecycle.mark_paid(session=session, reservation_id=reservation.id)
        return EventOutcome.PAID
    # Confirmed after the hold ended (expired, cancelled) or its unit was removed: there is
    # nothing left to pay for.
    await refund_up_to(
        session=session, provider=provider, reservation_id=reservation.id, total_refund=None
    )
    return EventOutcome.REFUNDED


async def _intent_failed(*, session: AsyncSession, intent: Mapping[str, Any]) -> EventOutcome:
    reservation_id = await records.reservation_of_ref(session=session, provider_ref=intent["id"])
    if (
        reservation_id is None
        or await records.lock_reservation(session=session, reservation_id=reservation_id) is None
    ):
        return EventOutcome.IGNORED
    payment = await records.lock_payment(session=session, reservation_id=reservation_id)
    error = intent.get("last_payment_error") or {}
    message = error.get("message") or "The payment failed."
    if (
        payment is None
        or payment.provider_ref != intent["id"]
        or payment.status is not PaymentStatus.UNPAID
    ):
        return EventOutcome.UNCHANGED
    await records.record_failure(session=session, payment=payment, message=message)
    return EventOutcome.FAILED


async def _charge_refunded(*, session: AsyncSession, charge: Mapping[str, Any]) -> EventOutcome:
    reservation_id = await _reservation_of(session=session, intent_id=charge.get("payment_intent"))
    if (
        reservation_id is None
        or await records.lock_reservation(session=session, reservation_id=reservation_id) is None
    ):
        return EventOutcome.IGNORED
    payment = await records.lock_payment(session=session, reservation_id=reservation_id)
    if (
        payment is None
        or payment.status not in records.SETTLED
        or payment.provider_ref != charge.get("payment_intent")
        or str(charge.get("currency", "")).upper() != payment.currency.upper()
    ):
        return EventOutcome.UNCHANGED
    refunded = from_minor_units(charge["amount_refunded"], charge["currency"])
    if refunded <= payment.refunded_amount:
        return EventOutcome.UNCHANGED
    await records.record_refunded(session=session, payment=payment, refunded=refunded)
    return EventOutcome.REFUNDED


async def handle_stripe_event(
    *, session: AsyncSession, event: Mapping[str, Any], provider: PaymentProvider
) -> EventOutcome:
    """Apply one event in the caller's transaction; events of other kinds are ignored."""
    kind = event.get("type")
    subject = (event.get("data") or {}).get("object") or {}
    if kind == "payment_intent.succeeded":
        return await _intent_succeeded(session=session, intent=subject, provider=provider)
    if kind == "payment_intent.payment_failed":
        return await _intent_failed(session=session, intent=subject)
    if kind == "charge.refunded":
        return await _charge_refunded(session=session, charge=subject)
    return EventOutcome.IGNORED
