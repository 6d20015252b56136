"""Booking rules per listing and per season (minimum and maximum nights, notice, booking
window, arrival and departure weekdays), and the guests on a reservation (adults, children,
special requests).

Revision ID: 0020_booking_rules
Revises: 0019_buffers
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_booking_rules"
down_revision: str | None = "0019_buffers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE_CHECKS = {
    "season_both_or_neither": "(start_date IS NULL) = (end_date IS NULL)",
    "season_not_empty": "end_date > start_date",
    "min_nights_range": "min_nights BETWEEN 1 AND 365",
    "max_nights_range": "max_nights BETWEEN 1 AND 365",
    "min_notice_hours_range": "min_notice_hours BETWEEN 0 AND 8784",
    "booking_window_days_range": "booking_window_days BETWEEN 1 AND 3660",
    "arrival_iso_weekdays": "arrival_weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]",
    "departure_iso_weekdays": "departure_weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]",
}
GUEST_CHECKS = {
    "adults_range": "adults BETWEEN 1 AND 1000",
    "children_range": "children BETWEEN 0 AND 1000",
    "special_requests_length": "char_length(special_requests) <= 2000",
}


def upgrade() -> None:
    op.create_table(
        "listing_booking_rules",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "listing_id",
            sa.Uuid(),
            sa.ForeignKey(
                "listings.id",
                ondelete="CASCADE",
                name="fk_listing_booking_rules_listing_id_listings",
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("min_nights", sa.Integer(), nullable=True),
        sa.Column("max_nights", sa.Integer(), nullable=True),
        sa.Column("min_notice_hours", sa.Integer(), nullable=True),
        sa.Column("booking_window_days", sa.Integer(), nullable=True),
        sa.Column("arrival_weekdays", sa.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column("departure_weekdays", sa.ARRAY(sa.SmallInteger()), nullable=True),
        *(sa.CheckConstraint(condition, name=name) for name, condition in RULE_CHECKS.items()),
    )
    op.create_index(
        "ix_listing_booking_rules_listing_id", "listing_booking_rules", ["listing_id"]
    )
    op.create_index(
        "uq_listing_booking_rules_base",
        "listing_booking_rules",
        ["listing_id"],
        unique=True,
        postgresql_where=sa.text("start_date IS NULL"),
    )
    op.add_column("reservations", sa.Column("adults", sa.Integer(), nullable=True))
    op.add_column("reservations", sa.Column("children", sa.Integer(), nullable=True))
    op.add_column("reservations", sa.Column("special_requests", sa.Text(), nullable=True))
    for name, condition in GUEST_CHECKS.items():
        op.create_check_constraint(name, "reservations", condition)


def downgrade() -> None:
    for name in GUEST_CHECKS:
        # As created: the naming convention makes it ck_reservations_<name>.
        op.drop_constraint(op.f(f"ck_reservations_{name}"), "reservations", type_="check")
    for column in ("special_requests", "children", "adults"):
        op.drop_column("reservations", column)
    op.drop_table("listing_booking_rules")
