"""A slot listing's units change after creation (issue 17): a removed table, room or item
leaves its listing but keeps its row, so past bookings still name it.

- `listing_units.listing_id` becomes nullable: a removed unit has none, and so every query
  of a listing's units (search, free units, candidates, waitlist offers) no longer sees it;
  `removed_from_listing_id` and `removed_at` say whose it was and when.
- A trigger on reservation_units refuses a unit that is not (or no longer) one of the
  booking's listing's units, inserted or changed to (UPDATE OF unit_id, listing_id). It reads the unit's row FOR SHARE, so a removal committed
  meanwhile is seen after waiting for it: a booking can never take a removed unit, whatever
  the application did before (services/listings/unit_changes.py also locks the listing).

Revision ID: 0025_units
Revises: 0024_waitlist_guests
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_units"
down_revision: str | None = "0024_waitlist_guests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT_UNIT = "reservation_units_current_unit"


def upgrade() -> None:
    op.alter_column("listing_units", "listing_id", nullable=True)
    op.add_column(
        "listing_units",
        sa.Column(
            "removed_from_listing_id",
            sa.Uuid(),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            nullable=True,
        ),
    )
    op.add_column("listing_units", sa.Column("removed_at", sa.DateTime(timezone=True)))
    op.create_check_constraint(
        "removed_or_listed",
        "listing_units",
        "(listing_id IS NULL) = (removed_at IS NOT NULL) "
        "AND (listing_id IS NULL) = (removed_from_listing_id IS NOT NULL)",
    )
    op.create_index(
        "ix_listing_units_removed_from",
        "listing_units",
        ["removed_from_listing_id"],
        postgresql_where=sa.text("removed_from_listing_id IS NOT NULL"),
    )
    op.execute(
        f"""
CREATE FUNCTION {CURRENT_UNIT}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM listing_units
     WHERE id = NEW.unit_id AND listing_id = NEW.listing_id
       FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unit % is not one of the units of listing %', NEW.unit_id,
            NEW.listing_id
            USING ERRCODE = 'check_violation', CONSTRAINT = '{CURRENT_UNIT}';
    END IF;
    RETURN NEW;
END $$
"""
    )
    op.execute(
        f"CREATE TRIGGER {CURRENT_UNIT} BEFORE INSERT OR UPDATE OF unit_id, listing_id "
        "ON reservation_units "
        f"FOR EACH ROW EXECUTE FUNCTION {CURRENT_UNIT}()"
    )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER {CURRENT_UNIT} ON reservation_units")
    op.execute(f"DROP FUNCTION {CURRENT_UNIT}()")
    # Removed units come back last (bookable again): the older schema has no other place.
    op.execute(
        "UPDATE listing_units SET listing_id = removed_from_listing_id, "
        "position = position + 1000000 WHERE listing_id IS NULL"
    )
    op.drop_index("ix_listing_units_removed_from", table_name="listing_units")
    op.drop_constraint(op.f("ck_listing_units_removed_or_listed"), "listing_units", type_="check")
    op.drop_column("listing_units", "removed_at")
    op.drop_column("listing_units", "removed_from_listing_id")
    op.alter_column("listing_units", "listing_id", nullable=False)
