import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base


class OutboxMessage(Base):
    """An event someone must hear about, written in the transaction that causes it.

    The relay (workers/relay.py) hands unrelayed rows to Dramatiq and stamps `relayed_at`.
    `dedupe_key` makes scheduled events (reminders, expiry warnings) once-only however many
    schedulers run. An insert wakes relays with NOTIFY bookwell_outbox (migration 0005).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unrelayed", "id", postgresql_where=text("relayed_at IS NULL")),
        Index(
            "ix_outbox_undelivered",
            "relayed_at",
            postgresql_where=text("relayed_at IS NOT NULL AND delivered_at IS NULL"),
        ),
        Index("ix_outbox_reservation_id", "reservation_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    event: Mapped[str] = mapped_column(String(40))
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE")
    )
    waitlist_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("waitlist_entries.id", ondelete="CASCADE")
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The API request (or job) that caused the event; the relay passes it on to the actor.
    request_id: Mapped[str | None] = mapped_column(String(100))
    relayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    relay_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # Set by the actor when the event's work is done; a row relayed long ago and still not
    # done lost its message (workers/relay.py: redeliver) and is relayed again.
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationLog(Base):
    """One delivered notification per (event, recipient): what makes actors idempotent."""

    __tablename__ = "notification_log"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    recipient: Mapped[str] = mapped_column(String(320), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), server_default="email")
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    message_id: Mapped[str | None] = mapped_column(String(300))
