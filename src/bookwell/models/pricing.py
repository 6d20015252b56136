import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin


class PriceRule(IdMixin, Base):
    """A host's nightly price for some nights: a season (date range), some weekdays, or both.

    When several rules match a night, the newest wins; no rule means the listing's base price.
    """

    __tablename__ = "listing_price_rules"
    __table_args__ = (
        CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date > start_date",
            name="range_not_empty",
        ),
        CheckConstraint("nightly_price >= 0", name="price_not_negative"),
        CheckConstraint("weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]", name="iso_weekdays"),
        Index("ix_listing_price_rules_listing_id", "listing_id"),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[date | None] = mapped_column(Date)
    # Exclusive, like a stay's end date.
    end_date: Mapped[date | None] = mapped_column(Date)
    # ISO weekdays of the night (1 = Monday ... 7 = Sunday); NULL means every day.
    weekdays: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
    nightly_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
