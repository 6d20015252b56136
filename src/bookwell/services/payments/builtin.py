"""A payment provider that needs no network: for development, tests and demos, not real money.

Every charge succeeds, except that a charge whose idempotency key contains "decline" is
declined as a card would be. The payment service puts the client's `idempotencyKey` into the
key it sends, so `payReservation(id, idempotencyKey: "decline-1")` shows a decline and a
retry with another key pays.
"""

import hashlib
import uuid
from decimal import Decimal

from bookwell.services.payments.provider import Charge, ChargeStatus, RefundResult

DECLINE_MARKER = "decline"
DECLINE_MESSAGE = "Your card was declined."


def _reference(prefix: str, idempotency_key: str) -> str:
    """The same key gives the same reference, as a real provider replays a request."""
    return f"{prefix}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"


class BuiltinProvider:
    name = "builtin"

    async def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        reservation_id: uuid.UUID,
        description: str,
    ) -> Charge:
        reference = _reference("bw_pay", idempotency_key)
        if DECLINE_MARKER in idempotency_key.lower():
            return Charge(ChargeStatus.FAILED, reference, failure_message=DECLINE_MESSAGE)
        return Charge(ChargeStatus.SUCCEEDED, reference)

    async def refund(
        self, *, provider_ref: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        return RefundResult(succeeded=True, provider_ref=_reference("bw_refund", idempotency_key))
