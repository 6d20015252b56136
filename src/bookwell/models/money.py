"""Taxes a listing charges, and a host's voucher codes."""

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin, text_enum


class TaxKind(enum.StrEnum):
    # `rate` percent of the price (nights and fees, after any discount).
    PERCENT = "PERCENT"
    # `amount` per person and night (a tourist tax).
    PER_PERSON_NIGHT = "PER_PERSON_NIGHT"


class ListingTax(IdMixin, Base):
    """One of a listing's taxes; `inclusive` ones are already in the price (shown, not added)."""

    __tablename__ = "listing_taxes"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'PERCENT' AND rate IS NOT NULL AND rate >= 0 AND rate <= 100 "
            "AND amount IS NULL) OR (kind = 'PER_PERSON_NIGHT' AND amount IS NOT NULL "
            "AND amount >= 0 AND rate IS NULL)",
            name="rate_or_amount",
        ),
        Index("ix_listing_taxes_listing_id", "listing_id", "position"),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TaxKind] = mapped_column(text_enum(TaxKind, "tax_kind", 20))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    inclusive: Mapped[bool] = mapped_column(Boolean)


class VoucherKind(enum.StrEnum):
    PERCENT = "PERCENT"
    # A fixed amount in the currency of the listing booked.
    FIXED = "FIXED"


class Voucher(IdMixin, Base):
    """A host's discount code. Its uses are the bookings made with it that still hold (not
    CANCELLED or EXPIRED): counted under the voucher's row lock (services/vouchers)."""

    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'PERCENT' AND value > 0 AND value <= 100) OR (kind = 'FIXED' AND value > 0)",
            name="value_in_range",
        ),
        CheckConstraint("usage_limit IS NULL OR usage_limit >= 1", name="usage_limit_positive"),
        CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from",
            name="validity_not_empty",
        ),
        Index("uq_vouchers_owner_code", "owner_id", text("upper(code)"), unique=True),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(50))
    kind: Mapped[VoucherKind] = mapped_column(text_enum(VoucherKind, "voucher_kind", 20))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    # NULL: every listing of the host.
    listing_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
