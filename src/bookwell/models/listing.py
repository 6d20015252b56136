import enum
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin, text_enum


class ListingKind(enum.StrEnum):
    STAY = "STAY"
    RESTAURANT = "RESTAURANT"
    SPACE = "SPACE"
    EQUIPMENT = "EQUIPMENT"


class Listing(IdMixin, Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("nightly_price >= 0", name="price_not_negative"),
        CheckConstraint("max_guests IS NULL OR max_guests >= 1", name="max_guests_positive"),
        Index("ix_listings_city_lower", text("lower(city)"), "id"),
        Index("ix_listings_owner_id", "owner_id", "id"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[ListingKind] = mapped_column(text_enum(ListingKind, "listing_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    nightly_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    units: Mapped[int] = mapped_column(Integer)
    max_guests: Mapped[int | None] = mapped_column(Integer)


class ListingNight(Base):
    """Inventory: how many of a listing's units are taken on one night.

    Rows are written only by the `reservations` trigger (see the first migration), which adds
    or removes a reservation's quantity on every night of its range whenever it starts or stops
    holding units. The CHECK makes over-allocation impossible whatever the application does;
    a missing row means nothing is booked that night.
    """

    __tablename__ = "listing_nights"
    __table_args__ = (CheckConstraint("booked >= 0 AND booked <= units", name="capacity"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    night: Mapped[date] = mapped_column(Date, primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)


CAPACITY_CONSTRAINT = "ck_listing_nights_capacity"
