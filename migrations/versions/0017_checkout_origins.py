"""Where bookings without an account came from: one IP address's unpaid holds are capped.

Revision ID: 0017_origins
Revises: 0016_checkout
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017_origins"
down_revision: str | None = "0016_checkout"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkout_origins",
        sa.Column(
            "reservation_id",
            sa.Uuid(),
            sa.ForeignKey("reservations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("client_ip", postgresql.INET(), nullable=False),
    )
    op.create_index("ix_checkout_origins_client_ip", "checkout_origins", ["client_ip"])


def downgrade() -> None:
    op.drop_table("checkout_origins")
