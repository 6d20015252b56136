"""Calendar blocks: reservations imported from an external calendar (iCalendar).

A block is a reservation row with `external_uid` set (status CONFIRMED, no guest, total 0):
it takes units through the same inventory trigger and exclusion constraint as a booking.
`external_source` is the calendar it came from (its URL or a name), so re-importing one
calendar only ever touches its own blocks. One block per (listing, event UID).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reservations", sa.Column("external_uid", sa.String(300), nullable=True))
    op.add_column("reservations", sa.Column("external_source", sa.String(500), nullable=True))
    op.create_index(
        "uq_reservations_listing_external_uid",
        "reservations",
        ["listing_id", "external_uid"],
        unique=True,
        postgresql_where=sa.text("external_uid IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_reservations_listing_external_uid", table_name="reservations")
    op.drop_column("reservations", "external_source")
    op.drop_column("reservations", "external_uid")
