import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin, text_enum


class WaitlistStatus(enum.StrEnum):
    WAITING = "WAITING"
    # Holds a PENDING reservation made for the entry (reservation_id) until it expires.
    OFFERED = "OFFERED"
    BOOKED = "BOOKED"
    LAPSED = "LAPSED"
    LEFT = "LEFT"


class WaitlistEntry(IdMixin, Base):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("end_date > start_date", name="range_not_empty"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at", name="slot_window"
        ),
        CheckConstraint("party_size IS NULL OR party_size >= 1", name="party_size_positive"),
        # Guests (migration 0023), as on reservations: carried into the offer's booking.
        CheckConstraint("adults BETWEEN 1 AND 1000", name="adults_range"),
        CheckConstraint("children BETWEEN 0 AND 1000", name="children_range"),
        CheckConstraint("char_length(special_requests) <= 2000", name="special_requests_length"),
        Index(
            "ix_waitlist_entries_waiting",
            "listing_id",
            "id",
            postgresql_where=text("status = 'WAITING'"),
        ),
        Index("ix_waitlist_entries_user_id", "user_id", "id"),
        Index("ix_waitlist_entries_reservation_id", "reservation_id"),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[WaitlistStatus] = mapped_column(text_enum(WaitlistStatus, "waitlist_status", 20))
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reservations.id"))
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Slot listings only (migration 0014; NULL for stays): the window [starts_at, ends_at)
    # wanted and the party a table must seat. start_date is then the local date of starts_at
    # and end_date the day after, as on slot reservations.
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    party_size: Mapped[int | None] = mapped_column(Integer)
    # Who comes (migration 0023): NULL when the entry did not say.
    adults: Mapped[int | None] = mapped_column(Integer)
    children: Mapped[int | None] = mapped_column(Integer)
    # What the guest asks the host (migration 0027), carried into the offer's booking.
    special_requests: Mapped[str | None] = mapped_column(Text)
