"""Stripe as the payment provider: PaymentIntents, Refunds, and verified webhook events.

A charge creates a PaymentIntent that the guest's browser confirms with Stripe.js (its
`client_secret`); Stripe then tells us the outcome by webhook (services/payments/events.py).
Amounts go to Stripe in the currency's minor units; every request carries our idempotency key.
"""

import uuid
from decimal import Decimal
from typing import Any

import stripe

from bookwell.services.payments.currency import to_minor_units
from bookwell.services.payments.provider import (
    Charge,
    ChargeStatus,
    InvalidWebhook,
    ProviderUnavailable,
    RefundResult,
)

# Worth asking again with the same idempotency key: nothing is known to have happened.
TRANSIENT_ERRORS = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)
PENDING_INTENT = frozenset(
    {
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
        "processing",
        "requires_capture",
    }
)


def _message(error: stripe.StripeError) -> str:
    return (error.user_message or str(error) or "The payment was declined.")[:500]


def _charge_of(intent: Any) -> Charge:
    if intent.status == "succeeded":
        return Charge(ChargeStatus.SUCCEEDED, intent.id)
    if intent.status in PENDING_INTENT:
        return Charge(ChargeStatus.REQUIRES_ACTION, intent.id, client_secret=intent.client_secret)
    return Charge(ChargeStatus.FAILED, intent.id, failure_message="The payment was canceled.")


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = 2,
    ):
        self._client = stripe.StripeClient(
            api_key,
            # An async client: the default one is synchronous (requests) and would block.
            http_client=http_client or stripe.HTTPXClient(timeout=30),
            max_network_retries=max_network_retries,
        )
        self._webhook_secret = webhook_secret

    async def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        reservation_id: uuid.UUID,
        description: str,
    ) -> Charge:
        params: Any = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "description": description,
            "automatic_payment_methods": {"enabled": True},
            "metadata": {"reservation_id": str(reservation_id)},
        }
        try:
            intent = await self._client.v1.payment_intents.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        except stripe.CardError as error:
            intent_ref = getattr(getattr(error.error, "payment_intent", None), "id", None)
            return Charge(ChargeStatus.FAILED, intent_ref, failure_message=_message(error))
        except TRANSIENT_ERRORS as error:
            raise ProviderUnavailable(_message(error)) from error
        return _charge_of(intent)

    async def refund(
        self, *, provider_ref: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult:
        params: Any = {
            "payment_intent": provider_ref,
            "amount": to_minor_units(amount, currency),
        }
        try:
            refund = await self._client.v1.refunds.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        except (stripe.InvalidRequestError, stripe.CardError) as error:
            return RefundResult(succeeded=False, failure_message=_message(error))
        except TRANSIENT_ERRORS as error:
            raise ProviderUnavailable(_message(error)) from error
        if refund.status in ("failed", "canceled"):
            reason = getattr(refund, "failure_reason", None) or refund.status
            return RefundResult(False, refund.id, failure_message=f"The refund failed ({reason}).")
        return RefundResult(succeeded=True, provider_ref=refund.id)

    def construct_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event in a webhook request, once its `Stripe-Signature` proves it is Stripe's
        and recent (five minutes); else InvalidWebhook."""
        try:
            event = self._client.construct_event(payload, signature, self._webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidWebhook(str(error)) from error
        return event.to_dict()
