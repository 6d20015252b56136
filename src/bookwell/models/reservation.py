import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin, global_id_column, text_enum


class ReservationStatus(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    # The guest never checked in (services/booking/no_show.py): units freed, nothing refunded.
    NO_SHOW = "NO_SHOW"


# Reservations in these states take their units (the inventory trigger uses the same list).
HOLDING_STATUSES = (
    ReservationStatus.PENDING,
    ReservationStatus.CONFIRMED,
    ReservationStatus.ACTIVE,
)


class Reservation(IdMixin, Base):
    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("end_date > start_date", name="range_not_empty"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at", name="slot_range"
        ),
        CheckConstraint("party_size IS NULL OR party_size >= 1", name="party_size_positive"),
        # Guests on a booking (migration 0020, services/booking/guests.py).
        CheckConstraint("adults BETWEEN 1 AND 1000", name="adults_range"),
        CheckConstraint("children BETWEEN 0 AND 1000", name="children_range"),
        CheckConstraint("char_length(special_requests) <= 2000", name="special_requests_length"),
        Index("ix_reservations_listing_id", "listing_id", "id"),
        Index("ix_reservations_guest_id", "guest_id", "id"),
        Index(
            "ix_reservations_voucher_id",
            "voucher_id",
            postgresql_where=text("voucher_id IS NOT NULL"),
        ),
        Index(
            "ix_reservations_pending_listing",
            "listing_id",
            "expires_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index(
            "ix_reservations_pending_expires_at",
            "expires_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
        # A calendar block (services/calendar/imports.py): one per listing and event UID.
        Index(
            "uq_reservations_listing_external_uid",
            "listing_id",
            "external_uid",
            unique=True,
            postgresql_where=text("external_uid IS NOT NULL"),
        ),
    )

    global_id: Mapped[str] = global_id_column("Reservation")
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"))
    guest_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    guest_name: Mapped[str] = mapped_column(String(200))
    # E.164, the phone the booking was made with (migration 0027): a checkout guest's own or
    # the host's phone booking's; what the listing's host sees of that guest (customers).
    guest_phone: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReservationStatus] = mapped_column(
        text_enum(ReservationStatus, "reservation_status")
    )
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A PENDING hold returns its units at this instant unless confirmed first.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # When the host or the scheduler marked it NO_SHOW (migration 0013).
    no_show_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the guest agreed to: line items, total and cancellation policy
    # (services/listings/pricing.py).
    price_snapshot: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb")
    )
    # Time-slot reservations only (NULL for stays): [starts_at, ends_at) and the party seated.
    # start_date is then the local date of starts_at and end_date the day after.
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    party_size: Mapped[int | None] = mapped_column(Integer)
    # Calendar blocks only: the imported event's UID and the calendar it came from (URL or name).
    external_uid: Mapped[str | None] = mapped_column(String(300))
    external_source: Mapped[str | None] = mapped_column(String(500))
    # Manage links (services/booking/manage_tokens.py) carry this number: counting it up
    # revokes every link issued before.
    manage_token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Who comes (migration 0020): NULL when the booking did not say (older bookings, blocks).
    adults: Mapped[int | None] = mapped_column(Integer)
    children: Mapped[int | None] = mapped_column(Integer)
    # Free text from the guest to the host, shown as text (never as markup).
    special_requests: Mapped[str | None] = mapped_column(Text)
    # The voucher it was booked with (one of its uses while it holds: services/vouchers).
    voucher_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vouchers.id"))
    # The taxes in total_amount (added and included ones), for reports: revenue net of tax.
    tax_amount: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), default=Decimal("0"), server_default="0"
    )


class IdempotencyKey(Base):
    """The first answer to a create mutation, per principal and client-chosen key."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Deferred: the key is written first (it serialises duplicate requests), the reservation after.
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reservations.id", deferrable=True, initially="DEFERRED")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CheckoutOrigin(Base):
    """Where a booking without an account came from (issue 17.7): the unpaid holds of one
    IP address are capped (services/booking/origins.py), as an address's are."""

    __tablename__ = "checkout_origins"
    __table_args__ = (Index("ix_checkout_origins_client_ip", "client_ip"),)

    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True
    )
    client_ip: Mapped[str] = mapped_column(INET)
