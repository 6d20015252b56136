"""The no-show line of a listing's cancellation policy (issue 17.2): the share of the price a
no-show gets back, 0 by default (as before: a no-show was never refunded). Each booking keeps
it in its price snapshot (policy.noShowRefundPercent), read by services/payments/no_show.py.

Revision ID: 0026_no_show_refund
Revises: 0025_units
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_no_show_refund"
down_revision: str | None = "0025_units"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "listings",
        sa.Column("no_show_refund_percent", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_check_constraint(
        "no_show_refund_percent_range", "listings", "no_show_refund_percent BETWEEN 0 AND 100"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_listings_no_show_refund_percent_range"), "listings", type_="check")
    op.drop_column("listings", "no_show_refund_percent")
