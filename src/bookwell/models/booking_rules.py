import uuid
from datetime import date

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin


class BookingRule(IdMixin, Base):
    """What a host lets guests book on a listing: its base rules (no dates, one per listing)
    or a season's overrides (services/listings/booking_rules.py). NULL is "no such rule"
    on the base row and "as the base rules say" on a season."""

    __tablename__ = "listing_booking_rules"
    __table_args__ = (
        CheckConstraint("(start_date IS NULL) = (end_date IS NULL)", name="season_both_or_neither"),
        CheckConstraint("end_date > start_date", name="season_not_empty"),
        CheckConstraint("min_nights BETWEEN 1 AND 365", name="min_nights_range"),
        CheckConstraint("max_nights BETWEEN 1 AND 365", name="max_nights_range"),
        CheckConstraint("min_notice_hours BETWEEN 0 AND 8784", name="min_notice_hours_range"),
        CheckConstraint("booking_window_days BETWEEN 1 AND 3660", name="booking_window_days_range"),
        CheckConstraint(
            "arrival_weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]", name="arrival_iso_weekdays"
        ),
        CheckConstraint(
            "departure_weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]",
            name="departure_iso_weekdays",
        ),
        Index("ix_listing_booking_rules_listing_id", "listing_id"),
        Index(
            "uq_listing_booking_rules_base",
            "listing_id",
            unique=True,
            postgresql_where=text("start_date IS NULL"),
        ),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    # Seasons only: the host's name for it, and its arrival dates [start_date, end_date).
    name: Mapped[str | None] = mapped_column(String(100))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    min_nights: Mapped[int | None] = mapped_column(Integer)
    max_nights: Mapped[int | None] = mapped_column(Integer)
    min_notice_hours: Mapped[int | None] = mapped_column(Integer)
    booking_window_days: Mapped[int | None] = mapped_column(Integer)
    # ISO weekdays (1 = Monday ... 7 = Sunday) a stay may start or end on.
    arrival_weekdays: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
    departure_weekdays: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
