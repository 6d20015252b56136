"""Listing management: a street address, postal code and coordinates; archiving (hidden from
search, no new bookings); and photos (their files live in the photo storage, the rows here).

Revision ID: 0015_listings
Revises: 0014_slots
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_listings"
down_revision: str | None = "0014_slots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCATION = {
    "address_line1": sa.String(200),
    "address_line2": sa.String(200),
    "postal_code": sa.String(20),
    "latitude": sa.Numeric(8, 6),
    "longitude": sa.Numeric(9, 6),
}
CHECKS = {
    "latitude_range": "latitude BETWEEN -90 AND 90",
    "longitude_range": "longitude BETWEEN -180 AND 180",
    "coordinates_both_or_neither": "(latitude IS NULL) = (longitude IS NULL)",
}


def upgrade() -> None:
    for name, type_ in LOCATION.items():
        op.add_column("listings", sa.Column(name, type_, nullable=True))
    op.add_column("listings", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    for name, condition in CHECKS.items():
        op.create_check_constraint(name, "listings", condition)
    op.create_table(
        "listing_photos",
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
                name="fk_listing_photos_listing_id_listings",
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(500), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("variants", postgresql.JSONB(), nullable=False),
        sa.CheckConstraint("width >= 1 AND height >= 1", name="dimensions_positive"),
        sa.CheckConstraint("byte_size >= 1", name="byte_size_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_listing_photos"),
    )
    op.create_index("ix_listing_photos_listing_id", "listing_photos", ["listing_id", "position"])


def downgrade() -> None:
    op.drop_table("listing_photos")
    # Dropping latitude and longitude drops their CHECKs with them.
    op.drop_column("listings", "archived_at")
    for name in reversed(LOCATION):
        op.drop_column("listings", name)
