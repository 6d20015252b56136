import uuid
from datetime import datetime
from decimal import Decimal

import strawberry

from bookwell import models
from bookwell.core.ids import global_id
from bookwell.graphql.context import Info
from bookwell.graphql.shared.enums import describe_enum
from bookwell.graphql.shared.money import Money
from bookwell.graphql.shared.node import Node
from bookwell.services.payments.records import PaymentRecord

# The GraphQL enum is the model's own, as in graphql/shared/enums.py.
PaymentStatus = models.PaymentStatus
describe_enum(
    PaymentStatus,
    name="PaymentStatus",
    description="Where a reservation's one payment stands.",
    values={
        "UNPAID": "Nothing paid yet: no attempt, or one awaiting the guest's confirmation "
        "with Stripe.js (see clientSecret).",
        "PAID": "The total was charged; nothing went back.",
        "REFUNDED": "Everything paid went back: refundedAmount equals amount.",
        "PARTIALLY_REFUNDED": "Part went back (a late cancellation, or new dates that cost "
        "less); refundedAmount says how much.",
        "FAILED": "The last attempt was declined (see failureMessage); the hold stays until "
        "its expiresAt, to pay again with a new idempotencyKey.",
    },
)


@strawberry.type(
    description="What the guest paid for a reservation, and what went back. A reservation "
    "has one payment, so its id is made from the reservation's: `node(id:)` finds it for "
    "whoever may see the reservation."
)
class Payment(Node):
    status: PaymentStatus = strawberry.field(description="Where the payment stands.")
    amount: Money = strawberry.field(
        description="What was charged, or is due while UNPAID: the reservation's total."
    )
    refunded_amount: Money = strawberry.field(
        description="What went back so far; 0.00 when nothing did."
    )
    provider: str = strawberry.field(description="Who took the payment: builtin or stripe.")
    client_secret: str | None = strawberry.field(
        default=None,
        description="Only in payReservation's answer, when the guest's browser must confirm "
        "the payment with Stripe.js (`stripe.confirmPayment`); a webhook then records it.",
    )
    paid_at: datetime | None = strawberry.field(
        default=None, description="When the charge succeeded; null until then."
    )
    refunded_at: datetime | None = strawberry.field(
        default=None, description="When money last went back; null without refunds."
    )
    failure_message: str | None = strawberry.field(
        default=None, description="Why the last attempt was declined (FAILED); null otherwise."
    )

    @classmethod
    def from_row(cls, row: PaymentRecord, client_secret: str | None = None) -> "Payment":
        return cls(
            id=global_id("Payment", row.reservation_id),
            status=row.status,
            amount=Money.of(row.amount, row.currency),
            refunded_amount=Money.of(row.refunded_amount, row.currency),
            provider=row.provider,
            client_secret=client_secret,
            paid_at=row.paid_at,
            refunded_at=row.refunded_at,
            failure_message=row.failure_message,
        )

    @classmethod
    def unpaid(cls, reservation_id: uuid.UUID, total: Money, provider: str) -> "Payment":
        """No payment row yet: the reservation's total, nothing paid."""
        return cls(
            id=global_id("Payment", reservation_id),
            status=models.PaymentStatus.UNPAID,
            amount=total,
            refunded_amount=Money.of(Decimal(0), total.currency),
            provider=provider,
        )


async def reservation_payment(info: Info, reservation_id: uuid.UUID, total: Money) -> Payment:
    """Through the request's dataloader: one query for all reservations of a level."""
    row = await info.context.loaders.payment.load(reservation_id)
    if row is not None:
        return Payment.from_row(row)
    return Payment.unpaid(reservation_id, total, info.context.payments.name)
