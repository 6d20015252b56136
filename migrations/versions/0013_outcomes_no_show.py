"""The no-show outcome: a CONFIRMED booking whose guest never checked in.

- `reservations.status` may be NO_SHOW (its CHECK is recreated with the new value). NO_SHOW
  is not a holding status, so the inventory trigger frees the units when a reservation
  becomes one, in the same transaction, as for COMPLETED.
- `reservations.no_show_at`: when it was marked (by the host, or by the scheduler).
- `listings.auto_no_show_after_hours`: NULL (the default) leaves no-shows to the host; a
  number of hours makes the listing track arrivals: the clock no longer checks its guests in
  by itself, and a CONFIRMED reservation not checked in that long after it began is marked
  NO_SHOW by the scheduler (services/booking/no_show.py).

Revision ID: 0013_outcomes
Revises: 0012_customers
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_outcomes"
down_revision: str | None = "0012_customers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "ck_reservations_reservation_status"
BEFORE = ("PENDING", "CONFIRMED", "ACTIVE", "COMPLETED", "CANCELLED", "EXPIRED")
AFTER = (*BEFORE, "NO_SHOW")


def _status_check(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    # Plain SQL: the constraint's whole name, which the naming convention would prefix again.
    op.execute(f"ALTER TABLE reservations DROP CONSTRAINT {STATUS_CHECK}")
    op.execute(
        f"ALTER TABLE reservations ADD CONSTRAINT {STATUS_CHECK} CHECK (status IN ({listed}))"
    )


def upgrade() -> None:
    _status_check(AFTER)
    op.add_column("reservations", sa.Column("no_show_at", sa.DateTime(timezone=True)))
    op.add_column("listings", sa.Column("auto_no_show_after_hours", sa.Integer()))
    op.create_check_constraint(
        "auto_no_show_after_hours_range",
        "listings",
        "auto_no_show_after_hours BETWEEN 1 AND 720",
    )


def downgrade() -> None:
    op.drop_column("listings", "auto_no_show_after_hours")
    op.drop_column("reservations", "no_show_at")
    # No-shows were bookings kept and over: the nearest of the old statuses.
    op.execute("UPDATE reservations SET status = 'COMPLETED' WHERE status = 'NO_SHOW'")
    _status_check(BEFORE)
