"""Taxes and fees per listing, vouchers, and a reservation's voucher and tax amount.

Revision ID: 0021_money
Revises: 0020_booking_rules
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021_money"
down_revision: str | None = "0020_booking_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing_taxes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "listing_id",
            sa.Uuid(),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PERCENT",
                "PER_PERSON_NIGHT",
                name="tax_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("rate", sa.Numeric(7, 4)),
        sa.Column("amount", sa.Numeric(12, 2)),
        sa.Column("inclusive", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'PERCENT' AND rate IS NOT NULL AND rate >= 0 AND rate <= 100 "
            "AND amount IS NULL) OR (kind = 'PER_PERSON_NIGHT' AND amount IS NOT NULL "
            "AND amount >= 0 AND rate IS NULL)",
            name="rate_or_amount",
        ),
    )
    op.create_index("ix_listing_taxes_listing_id", "listing_taxes", ["listing_id", "position"])
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "owner_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PERCENT",
                "FIXED",
                name="voucher_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.Numeric(12, 2), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True)),
        sa.Column("valid_until", sa.DateTime(timezone=True)),
        sa.Column("usage_limit", sa.Integer()),
        sa.Column("listing_ids", postgresql.ARRAY(sa.Uuid())),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint(
            "(kind = 'PERCENT' AND value > 0 AND value <= 100) OR (kind = 'FIXED' AND value > 0)",
            name="value_in_range",
        ),
        sa.CheckConstraint("usage_limit IS NULL OR usage_limit >= 1", name="usage_limit_positive"),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from",
            name="validity_not_empty",
        ),
    )
    op.create_index(
        "uq_vouchers_owner_code", "vouchers", ["owner_id", sa.text("upper(code)")], unique=True
    )
    op.add_column("reservations", sa.Column("voucher_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_reservations_voucher_id_vouchers", "reservations", "vouchers", ["voucher_id"], ["id"]
    )
    op.create_index(
        "ix_reservations_voucher_id",
        "reservations",
        ["voucher_id"],
        postgresql_where=sa.text("voucher_id IS NOT NULL"),
    )
    op.add_column(
        "reservations",
        sa.Column("tax_amount", sa.Numeric(12, 2), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("reservations", "tax_amount")
    op.drop_index("ix_reservations_voucher_id", table_name="reservations")
    op.drop_constraint("fk_reservations_voucher_id_vouchers", "reservations", type_="foreignkey")
    op.drop_column("reservations", "voucher_id")
    op.drop_table("vouchers")
    op.drop_table("listing_taxes")
