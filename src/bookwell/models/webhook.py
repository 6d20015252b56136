import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin, text_enum


class WebhookEndpoint(IdMixin, Base):
    """An HTTPS address that hears of some events, signed with its own secret.

    A host's endpoint hears of its owner's listings (all of them, or `listing_ids`); an
    admin's `is_global` endpoint hears of every listing (or `listing_ids`).
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_owner_id", "owner_id", "id"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(500))
    # "whsec_<base64>", sealed (core/sealed.py: AES-GCM under a key derived from the app's
    # secret key, bound to this row's id); opened only to sign a delivery.
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    listing_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid()))
    is_global: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    # Set once the owner was emailed that the endpoint was disabled (claimed before sending).
    owner_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Deliveries that gave up in a row, and since when every attempt has failed.
    failed_deliveries: Mapped[int] = mapped_column(Integer, server_default="0")
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class WebhookDelivery(IdMixin, Base):
    """One event for one endpoint: the body as signed and sent, and where its retries stand.

    `message_id` is the `webhook-id` header: the same on every attempt and replay, so a
    receiver can drop duplicates.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "outbox_id"),
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
        # Purging the outbox sets outbox_id NULL here: found by this index.
        Index("ix_webhook_deliveries_outbox_id", "outbox_id"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    # The outbox row it came from (purged outbox rows leave it null).
    outbox_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("outbox.id", ondelete="SET NULL")
    )
    event: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(60), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        text_enum(DeliveryStatus, "webhook_delivery_status"),
        server_default=DeliveryStatus.PENDING.value,
    )
    attempt_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # When the next attempt is due (a worker holding it pushes it ahead: a lease).
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(IdMixin, Base):
    """One POST of a delivery: what the endpoint answered, how long it took, or the error."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery_id", "delivery_id", "id"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    succeeded: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
