"""Reservation lifecycle: holds, listing policies, price rules, payments, waitlist, reviews.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text_enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _id_and_created() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def _listing_policies() -> None:
    columns = [
        sa.Column("instant_book", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("hold_minutes", sa.Integer(), server_default="15", nullable=False),
        sa.Column("approval_hours", sa.Integer(), server_default="24", nullable=False),
        sa.Column("offer_minutes", sa.Integer(), server_default="60", nullable=False),
        sa.Column("cleaning_fee", sa.Numeric(12, 2), server_default="0", nullable=False),
        sa.Column("free_cancellation_days", sa.Integer(), server_default="1", nullable=False),
        sa.Column("late_refund_percent", sa.Integer(), server_default="50", nullable=False),
    ]
    for column in columns:
        op.add_column("listings", column)
    checks = {
        "hold_minutes_range": "hold_minutes BETWEEN 1 AND 10080",
        "approval_hours_range": "approval_hours BETWEEN 1 AND 720",
        "offer_minutes_range": "offer_minutes BETWEEN 1 AND 10080",
        "cleaning_fee_not_negative": "cleaning_fee >= 0",
        "free_cancellation_days_range": "free_cancellation_days BETWEEN 0 AND 365",
        "late_refund_percent_range": "late_refund_percent BETWEEN 0 AND 100",
    }
    for name, condition in checks.items():
        op.create_check_constraint(name, "listings", condition)

    op.create_table(
        "listing_price_rules",
        *_id_and_created(),
        sa.Column(
            "listing_id",
            sa.Uuid(),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("start_date", sa.Date()),
        sa.Column("end_date", sa.Date()),
        sa.Column("weekdays", postgresql.ARRAY(sa.SmallInteger())),
        sa.Column("nightly_price", sa.Numeric(12, 2), nullable=False),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date > start_date",
            name="range_not_empty",
        ),
        sa.CheckConstraint("nightly_price >= 0", name="price_not_negative"),
        sa.CheckConstraint("weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]", name="iso_weekdays"),
    )
    op.create_index("ix_listing_price_rules_listing_id", "listing_price_rules", ["listing_id"])


def _reservation_lifecycle() -> None:
    columns = [
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("checked_in_at", sa.DateTime(timezone=True)),
        sa.Column("checked_out_at", sa.DateTime(timezone=True)),
        sa.Column("cancel_reason", sa.String(500)),
        sa.Column(
            "price_snapshot",
            postgresql.JSONB(),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    ]
    for column in columns:
        op.add_column("reservations", column)
    # Holds to expire: per listing (lazily, before a booking) and overall (the scheduler).
    op.create_index(
        "ix_reservations_pending_listing",
        "reservations",
        ["listing_id", "expires_at"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index(
        "ix_reservations_pending_expires_at",
        "reservations",
        ["expires_at"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )


def _payments() -> None:
    op.create_table(
        "payments",
        *_id_and_created(),
        sa.Column(
            "reservation_id",
            sa.Uuid(),
            sa.ForeignKey("reservations.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "status",
            _text_enum(
                "payment_status", "UNPAID", "PAID", "REFUNDED", "PARTIALLY_REFUNDED", "FAILED"
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_ref", sa.String(255), unique=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("refunded_amount", sa.Numeric(12, 2), server_default="0", nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("failure_message", sa.String(500)),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.Column("refunded_at", sa.DateTime(timezone=True)),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"
        ),
    )


def _waitlist() -> None:
    op.create_table(
        "waitlist_entries",
        *_id_and_created(),
        sa.Column(
            "listing_id",
            sa.Uuid(),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _text_enum("waitlist_status", "WAITING", "OFFERED", "BOOKED", "LAPSED", "LEFT"),
            nullable=False,
        ),
        sa.Column("reservation_id", sa.Uuid(), sa.ForeignKey("reservations.id")),
        sa.Column("offered_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("end_date > start_date", name="range_not_empty"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
    )
    op.create_index(
        "ix_waitlist_entries_waiting",
        "waitlist_entries",
        ["listing_id", "id"],
        postgresql_where=sa.text("status = 'WAITING'"),
    )
    op.create_index("ix_waitlist_entries_user_id", "waitlist_entries", ["user_id", "id"])
    op.create_index("ix_waitlist_entries_reservation_id", "waitlist_entries", ["reservation_id"])


def _reviews() -> None:
    op.create_table(
        "reviews",
        *_id_and_created(),
        sa.Column(
            "reservation_id",
            sa.Uuid(),
            sa.ForeignKey("reservations.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "listing_id",
            sa.Uuid(),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )
    op.create_index("ix_reviews_listing_id", "reviews", ["listing_id", "id"])


def upgrade() -> None:
    _listing_policies()
    _reservation_lifecycle()
    _payments()
    _waitlist()
    _reviews()


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("waitlist_entries")
    op.drop_table("payments")
    op.drop_index("ix_reservations_pending_expires_at", "reservations")
    op.drop_index("ix_reservations_pending_listing", "reservations")
    for column in (
        "price_snapshot",
        "cancel_reason",
        "checked_out_at",
        "checked_in_at",
        "confirmed_at",
        "expires_at",
    ):
        op.drop_column("reservations", column)
    op.drop_table("listing_price_rules")
    for column in (
        "late_refund_percent",
        "free_cancellation_days",
        "cleaning_fee",
        "offer_minutes",
        "approval_hours",
        "hold_minutes",
        "instant_book",
    ):
        op.drop_column("listings", column)
