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

from bookwell.models import PaymentStatus
from bookwell.services.booking import lifecycle
from bookwell.services.payments import records
from bookwell.services.payments.currency import from_minor_units
from bookwell.services.payments.provider import Charge, ChargeStatus, PaymentProvider
from bookwell.services.payments.service import refund_up_to

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


async def _intent_succeeded(
    *, session: AsyncSession, intent: Mapping[str, Any], provider: PaymentProvider
) -> EventOutcome:
    reservation_id = await _reservation_of(session=session, intent_id=intent["id"], intent=intent)
    if reservation_id is None:
        return EventOutcome.IGNORED
    reservation = await records.lock_reservation(session=session, reservation_id=reservation_id)
    if reservation is None:
        return EventOutcome.IGNORED
    payment = await records.lock_payment(session=session, reservation_id=reservation.id)
    amount = from_minor_units(intent.get("amount_received") or intent["amount"], intent["currency"])
    if payment is not None and payment.status in records.SETTLED:
        if payment.provider_ref == intent["id"]:
            return EventOutcome.UNCHANGED
        # An older attempt was confirmed after another one paid: give that money back.
        result = await provider.refund(
            provider_ref=intent["id"],
            amount=amount,
            currency=reservation.currency,
            idempotency_key=f"bookwell-refund-duplicate-{intent['id']}",
        )
        log.warning(
            "second payment %s of reservation %s: refund %s",
            intent["id"],
            reservation.id,
            "made" if result.succeeded else f"FAILED ({result.failure_message})",
        )
        return EventOutcome.REFUNDED
    await records.record_charge(
        session=session,
        reservation=reservation,
        provider=provider.name,
        idempotency_key=payment.idempotency_key if payment else None,
        charge=Charge(ChargeStatus.SUCCEEDED, intent["id"]),
        amount=amount,
    )
    if reservation.payable:
        await lifecycle.mark_paid(session=session, reservation_id=reservation.id)
        return EventOutcome.PAID
    # Confirmed after the hold ended (expired, cancelled): there is nothing left to pay for.
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
    if payment is None or payment.status not in records.SETTLED:
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
