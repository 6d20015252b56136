import enum
import uuid
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin, global_id_column, text_enum


class ListingKind(enum.StrEnum):
    STAY = "STAY"
    RESTAURANT = "RESTAURANT"
    SPACE = "SPACE"
    EQUIPMENT = "EQUIPMENT"


class HostNotice(enum.StrEnum):
    """Whether a listing's host gets a copy of a guest's check-in or no-show email."""

    ALWAYS = "ALWAYS"
    WHEN_AUTOMATIC = "WHEN_AUTOMATIC"  # only when the scheduler, not the host, made the change
    NEVER = "NEVER"


class Listing(IdMixin, Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("nightly_price >= 0", name="price_not_negative"),
        CheckConstraint("max_guests IS NULL OR max_guests >= 1", name="max_guests_positive"),
        CheckConstraint("hold_minutes BETWEEN 1 AND 10080", name="hold_minutes_range"),
        CheckConstraint("approval_hours BETWEEN 1 AND 720", name="approval_hours_range"),
        CheckConstraint("offer_minutes BETWEEN 1 AND 10080", name="offer_minutes_range"),
        CheckConstraint("cleaning_fee >= 0", name="cleaning_fee_not_negative"),
        CheckConstraint(
            "free_cancellation_days BETWEEN 0 AND 365", name="free_cancellation_days_range"
        ),
        CheckConstraint("late_refund_percent BETWEEN 0 AND 100", name="late_refund_percent_range"),
        CheckConstraint(
            "no_show_refund_percent BETWEEN 0 AND 100", name="no_show_refund_percent_range"
        ),
        CheckConstraint("slot_minutes BETWEEN 5 AND 1440", name="slot_minutes_range"),
        CheckConstraint("max_hold_nights BETWEEN 1 AND 365", name="max_hold_nights_range"),
        CheckConstraint("max_hold_units BETWEEN 1 AND 10000", name="max_hold_units_range"),
        CheckConstraint("max_guest_holds BETWEEN 1 AND 100", name="max_guest_holds_range"),
        CheckConstraint("max_listing_holds BETWEEN 1 AND 10000", name="max_listing_holds_range"),
        CheckConstraint("sitting_minutes BETWEEN 5 AND 1440", name="sitting_minutes_range"),
        CheckConstraint(
            "(opens_at IS NULL) = (closes_at IS NULL)", name="opening_hours_both_or_neither"
        ),
        # Location and archiving (migration 0015).
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)", name="coordinates_both_or_neither"
        ),
        Index("ix_listings_city_lower", text("lower(city)"), "id"),
        Index("ix_listings_owner_id", "owner_id", "id"),
    )

    global_id: Mapped[str] = global_id_column("Listing")
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
    # Lifecycle policies (see services/booking/lifecycle.py and services/listings/pricing.py).
    instant_book: Mapped[bool] = mapped_column(Boolean, default=True)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=15)
    approval_hours: Mapped[int] = mapped_column(Integer, default=24)
    offer_minutes: Mapped[int] = mapped_column(Integer, default=60)
    cleaning_fee: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    free_cancellation_days: Mapped[int] = mapped_column(Integer, default=1)
    late_refund_percent: Mapped[int] = mapped_column(Integer, default=50)
    # The share of the price a no-show gets back (migration 0024, services/payments/no_show.py).
    no_show_refund_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Unpaid holds (migration 0009, services/booking/holds.py): the nights and units one may
    # take, and how many one guest, and all guests together, may have on the listing at once.
    max_hold_nights: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    max_hold_units: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    max_guest_holds: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    max_listing_holds: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # Booking without an account (migration 0016, flows/checkout.py): off unless the host allows.
    allow_guest_checkout: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # Time slots (RESTAURANT, SPACE, EQUIPMENT; see services/slots/times.py): the grid of start
    # times, a restaurant's sitting length, and local opening hours (closes_at <= opens_at
    # closes the next day; both NULL: open all day).
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)
    sitting_minutes: Mapped[int] = mapped_column(Integer, default=120)
    opens_at: Mapped[time | None] = mapped_column(Time, default=time(9))
    closes_at: Mapped[time | None] = mapped_column(Time, default=time(22))
    # Stays: local times the scheduler checks guests in and out at (reminders count back
    # from check-in).
    check_in_time: Mapped[time] = mapped_column(Time, default=time(15))
    check_out_time: Mapped[time] = mapped_column(Time, default=time(11))
    # No-shows (migration 0013, services/booking/no_show.py): NULL leaves them to the host;
    # hours after the start at which a CONFIRMED reservation never checked in is marked
    # NO_SHOW. Set, the listing tracks arrivals: the clock does not check its guests in.
    auto_no_show_after_hours: Mapped[int | None] = mapped_column(
        Integer,
        CheckConstraint(
            "auto_no_show_after_hours BETWEEN 1 AND 720", name="auto_no_show_after_hours_range"
        ),
    )
    # The host's copies of the guest's ACTIVE and NO_SHOW emails (migration 0027,
    # workers/notices.py).
    notify_host_on_check_in: Mapped[HostNotice] = mapped_column(
        text_enum(HostNotice, "notify_host_on_check_in", 20),
        default=HostNotice.WHEN_AUTOMATIC,
        server_default=HostNotice.WHEN_AUTOMATIC.value,
    )
    notify_host_on_no_show: Mapped[HostNotice] = mapped_column(
        text_enum(HostNotice, "notify_host_on_no_show", 20),
        default=HostNotice.WHEN_AUTOMATIC,
        server_default=HostNotice.WHEN_AUTOMATIC.value,
    )
    # Where it is (migration 0015): street address, postal code, and a point on the map.
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    # Set: hidden from search and refused to new bookings; existing bookings carry on.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Slot listings (migration 0019, services/slots/buffers.py): minutes each booking's units
    # stay taken before its start and after its end (e.g. to clean a room).
    buffer_before_minutes: Mapped[int] = mapped_column(
        Integer,
        CheckConstraint(
            "buffer_before_minutes BETWEEN 0 AND 1440", name="buffer_before_minutes_range"
        ),
        default=0,
        server_default="0",
    )
    buffer_after_minutes: Mapped[int] = mapped_column(
        Integer,
        CheckConstraint(
            "buffer_after_minutes BETWEEN 0 AND 1440", name="buffer_after_minutes_range"
        ),
        default=0,
        server_default="0",
    )
    # Counted up by the database at any change of the row or its price rules (migration
    # 0022): what cached terms are checked against when a booking is priced from them.
    terms_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ListingNight(Base):
    """Inventory: how many of a listing's units are taken on one night.

    Rows are written only by the `reservations` trigger (see the first migration), which adds
    or removes a reservation's quantity on every night of its range whenever it starts or stops
    holding units. The CHECK makes over-allocation impossible whatever the application does;
    a missing row means nothing is booked that night.
    """

    __tablename__ = "listing_nights"
    # Yearly partitions and a DEFAULT (migration 0008); SQLAlchemy reads and writes the
    # parent table as any other.
    __table_args__ = (
        CheckConstraint("booked >= 0 AND booked <= units", name="capacity"),
        {"postgresql_partition_by": "RANGE (night)"},
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    night: Mapped[date] = mapped_column(Date, primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)


CAPACITY_CONSTRAINT = "ck_listing_nights_capacity"
