"""The phone a booking was made with (a checkout guest's own, or what the host took down on
the phone) kept on the reservation, as its guest name is: a checkout user's row is shared by
every host's bookings for an address, so it keeps none (services/accounts/checkout.py).
Phones kept there before (never released) cannot be told apart per host: dropped.

Revision ID: 0029_reservation_guest_phone
Revises: 0028_waitlist_requests
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_reservation_guest_phone"
down_revision: str | None = "0028_waitlist_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reservations", sa.Column("guest_phone", sa.String(32), nullable=True))
    op.execute("UPDATE users SET phone = NULL WHERE checkout AND phone IS NOT NULL")


def downgrade() -> None:
    op.drop_column("reservations", "guest_phone")
