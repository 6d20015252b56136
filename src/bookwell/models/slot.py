"""Units of time-slot listings (tables, rooms, items) and the ranges reservations take on them."""

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import TSTZRANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, new_id

# Exclusion constraint: no two holding allocations of one unit overlap in time, buffers
# included (`occupied`, migration 0019).
NO_OVERLAP_CONSTRAINT = "ex_reservation_units_no_overlap"
# The trigger refusing a unit that is not (or no longer) the listing's (migration 0025).
CURRENT_UNIT_CONSTRAINT = "reservation_units_current_unit"


class ListingUnit(Base):
    """One bookable unit of a slot listing: a table (with its seats), a room, an item."""

    __tablename__ = "listing_units"
    __table_args__ = (
        CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),
        CheckConstraint(
            "(listing_id IS NULL) = (removed_at IS NOT NULL) "
            "AND (listing_id IS NULL) = (removed_from_listing_id IS NOT NULL)",
            name="removed_or_listed",
        ),
        UniqueConstraint("listing_id", "position"),
        Index(
            "ix_listing_units_removed_from",
            "removed_from_listing_id",
            postgresql_where=text("removed_from_listing_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # None once removed (services/listings/unit_changes.py): no query of a listing's units
    # sees it, while the bookings it had still name it. A trigger on reservation_units
    # (migration 0023) refuses to book a unit that is not its listing's.
    listing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE")
    )
    removed_from_listing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE")
    )
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    label: Mapped[str] = mapped_column(String(100))
    seats: Mapped[int | None] = mapped_column(Integer)
    # 1, 2, ...: the order units are offered in, unique per listing.
    position: Mapped[int] = mapped_column(Integer)


class ReservationUnit(Base):
    """A unit a slot reservation takes for [lower(during), upper(during)).

    `holding` mirrors whether the reservation holds units (PENDING, CONFIRMED, ACTIVE); a
    trigger on reservations keeps it in step, so the exclusion constraint releases a unit in
    the same transaction that cancels or expires its reservation.
    """

    __tablename__ = "reservation_units"
    __table_args__ = (
        CheckConstraint("NOT isempty(during)", name="during_not_empty"),
        ExcludeConstraint(
            ("unit_id", "="),
            ("occupied", "&&"),
            using="gist",
            where=text("holding"),
            name=NO_OVERLAP_CONSTRAINT,
        ),
        CheckConstraint(
            "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers_not_negative"
        ),
        Index(
            "ix_reservation_units_listing_occupied",
            "listing_id",
            "occupied",
            postgresql_using="gist",
            postgresql_where=text("holding"),
        ),
        Index(
            "ix_reservation_units_listing_during",
            "listing_id",
            "during",
            postgresql_using="gist",
            postgresql_where=text("holding"),
        ),
    )

    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listing_units.id"), primary_key=True)
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    holding: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # The listing's buffers when the unit was taken (0 for blackouts); `occupied` is `during`
    # widened by them, and it is what the exclusion constraint compares.
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    occupied: Mapped[Range[datetime]] = mapped_column(
        TSTZRANGE,
        Computed(
            "buffered_range(during, buffer_before_minutes, buffer_after_minutes)", persisted=True
        ),
    )
