"""Guests on waitlist entries (issue 19.4): adults and children, carried into the booking an
offer makes (services/waitlist/). NULL when the entry did not say (older entries).

Revision ID: 0024_waitlist_guests
Revises: 0023_sealed_secrets
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_waitlist_guests"
down_revision: str | None = "0023_sealed_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUEST_CHECKS = {
    "adults_range": "adults BETWEEN 1 AND 1000",
    "children_range": "children BETWEEN 0 AND 1000",
}


def upgrade() -> None:
    op.add_column("waitlist_entries", sa.Column("adults", sa.Integer(), nullable=True))
    op.add_column("waitlist_entries", sa.Column("children", sa.Integer(), nullable=True))
    for name, condition in GUEST_CHECKS.items():
        op.create_check_constraint(name, "waitlist_entries", condition)


def downgrade() -> None:
    for name in GUEST_CHECKS:
        # As created: the naming convention makes it ck_waitlist_entries_<name>.
        op.drop_constraint(op.f(f"ck_waitlist_entries_{name}"), "waitlist_entries", type_="check")
    for column in ("children", "adults"):
        op.drop_column("waitlist_entries", column)
