"""What the payment service needs of a payment provider (the built-in one, Stripe)."""

import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable


class ChargeStatus(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"
    # The guest's browser must confirm it (Stripe.js with `client_secret`); a webhook follows.
    REQUIRES_ACTION = "REQUIRES_ACTION"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Charge:
    status: ChargeStatus
    # The provider's id for this payment (a Stripe PaymentIntent id).
    provider_ref: str | None
    client_secret: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    succeeded: bool
    provider_ref: str | None = None
    failure_message: str | None = None


class InvalidWebhook(Exception):
    """A webhook request whose signature, timestamp or body is not the provider's."""


class ProviderUnavailable(Exception):
    """The provider could not be asked (network, outage): nothing is known to have happened,
    and the same idempotency key may be sent again."""


class PaymentProvider(Protocol):
    """Both calls are idempotent per `idempotency_key`: the same key answers the same result."""

    @property
    def name(self) -> str: ...

    async def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        reservation_id: uuid.UUID,
        description: str,
    ) -> Charge: ...

    async def refund(
        self, *, provider_ref: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult: ...


@runtime_checkable
class WebhookSource(Protocol):
    """A provider that reports outcomes by signed webhook (Stripe)."""

    def construct_event(self, payload: bytes, signature: str | None) -> Any:
        """The verified event, or InvalidWebhook."""
        ...
