"""Booking without an account (issue 17.7): a listing may allow guest checkout; checkout
users (one per email, never able to sign in) sit beside accounts of the same address; a
reservation's manage links are revoked by counting up its manage_token_version.

Revision ID: 0016_checkout
Revises: 0015_listings
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_checkout"
down_revision: str | None = "0015_listings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("checkout", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # One account per address, and apart from those one checkout user per address.
    op.drop_index("uq_users_email_lower", table_name="users")
    op.create_index(
        "uq_users_email_lower",
        "users",
        [sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text("NOT checkout"),
    )
    op.create_index(
        "uq_users_checkout_email_lower",
        "users",
        [sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text("checkout"),
    )
    op.add_column(
        "listings",
        sa.Column(
            "allow_guest_checkout", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    op.add_column(
        "reservations",
        sa.Column(
            "manage_token_version", sa.Integer(), nullable=False, server_default=sa.text("0")
        ),
    )


def downgrade() -> None:
    op.drop_column("reservations", "manage_token_version")
    op.drop_column("listings", "allow_guest_checkout")
    op.drop_index("uq_users_checkout_email_lower", table_name="users")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.execute("DELETE FROM users WHERE checkout AND id NOT IN (SELECT guest_id FROM reservations WHERE guest_id IS NOT NULL)")
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.drop_column("users", "checkout")
