"""Unpaid hold limits of a listing: the nights and units one unpaid hold may take, and how
many unpaid holds a guest, and all guests together, may have on it at once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (default, low, high); the same in models/listing.py and services/listings/terms.py.
LIMITS = {
    "max_hold_nights": (30, 1, 365),
    "max_hold_units": (2, 1, 10000),
    "max_guest_holds": (2, 1, 100),
    "max_listing_holds": (10, 1, 10000),
}


def upgrade() -> None:
    for name, (default, low, high) in LIMITS.items():
        op.add_column(
            "listings", sa.Column(name, sa.Integer(), server_default=str(default), nullable=False)
        )
        op.create_check_constraint(f"{name}_range", "listings", f"{name} BETWEEN {low} AND {high}")


def downgrade() -> None:
    for name in reversed(LIMITS):
        op.drop_column("listings", name)
