import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    DateTime,
    ForeignKey,
    Numeric,
    String,
    exists,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin, text_enum
from bookwell.models.reservation import Reservation


class PaymentStatus(enum.StrEnum):
    UNPAID = "UNPAID"
    PAID = "PAID"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    FAILED = "FAILED"


class Payment(IdMixin, Base):
    """The one payment of a reservation; no row yet means UNPAID."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"
        ),
    )

    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[PaymentStatus] = mapped_column(text_enum(PaymentStatus, "payment_status", 20))
    provider: Mapped[str] = mapped_column(String(32))
    # The provider's own id (a Stripe PaymentIntent id), for webhooks to find the payment.
    provider_ref: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    refunded_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def reservation_paid() -> ColumnElement[bool]:
    """True where the reservation in the statement (`Reservation`) has a PAID payment."""
    return exists().where(
        Payment.reservation_id == Reservation.id, Payment.status == PaymentStatus.PAID
    )
