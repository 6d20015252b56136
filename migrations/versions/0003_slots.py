"""Time-slot listings: units (tables, rooms, items), opening hours, slot reservations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLDING = "ARRAY['PENDING', 'CONFIRMED', 'ACTIVE']"

# The guarantee for slots: one unit is never held by two overlapping ranges. Only rows of
# reservations that hold units (PENDING, CONFIRMED, ACTIVE) take part; the trigger below
# keeps `holding` in step with the reservation's status in the same transaction.
NO_OVERLAP = "ex_reservation_units_no_overlap"

SYNC_FUNCTION = f"""
CREATE FUNCTION reservations_sync_slot_units() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    holds boolean := NEW.status = ANY({HOLDING});
BEGIN
    IF NEW.starts_at IS DISTINCT FROM OLD.starts_at OR NEW.ends_at IS DISTINCT FROM OLD.ends_at
    THEN
        RAISE EXCEPTION 'a time-slot reservation cannot change its time range (book a new slot)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    UPDATE reservation_units SET holding = holds
     WHERE reservation_id = NEW.id AND holding <> holds;
    RETURN NULL;
END
$$
"""

SYNC_TRIGGER = """
CREATE TRIGGER reservations_slot_units
AFTER UPDATE OF status, starts_at, ends_at ON reservations
FOR EACH ROW WHEN (OLD.starts_at IS NOT NULL OR NEW.starts_at IS NOT NULL)
EXECUTE FUNCTION reservations_sync_slot_units();
"""


def _inventory_function(*, skip_slots: bool) -> str:
    """0001's function; with `skip_slots`, slot reservations (starts_at set) are left out of
    listing_nights, which count stays only. Otherwise identical."""
    declare_slot = (
        "    is_slot boolean := CASE WHEN TG_OP = 'DELETE' THEN OLD.starts_at IS NOT NULL\n"
        "                            ELSE NEW.starts_at IS NOT NULL END;\n"
        if skip_slots
        else ""
    )
    skip = "    IF is_slot THEN\n        RETURN NULL;\n    END IF;\n" if skip_slots else ""
    return f"""
CREATE OR REPLACE FUNCTION reservations_apply_inventory() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    holding CONSTANT text[] := ARRAY['PENDING', 'CONFIRMED', 'ACTIVE'];
    old_holds boolean := TG_OP <> 'INSERT' AND OLD.status = ANY(holding);
    new_holds boolean := TG_OP <> 'DELETE' AND NEW.status = ANY(holding);
    target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.listing_id ELSE NEW.listing_id END;
{declare_slot}    nights date[];
    amounts int[];
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.listing_id <> NEW.listing_id THEN
        RAISE EXCEPTION 'a reservation cannot move to another listing';
    END IF;
{skip}    IF NOT (old_holds OR new_holds) THEN
        RETURN NULL;
    END IF;

    SELECT coalesce(array_agg(night ORDER BY night), '{{}}'),
           coalesce(array_agg(amount ORDER BY night), '{{}}')
      INTO nights, amounts
      FROM (
        SELECT night, sum(amount)::int AS amount
          FROM (
            SELECT g::date AS night, -OLD.quantity AS amount
              FROM generate_series(OLD.start_date, OLD.end_date - 1, interval '1 day') g
             WHERE old_holds
            UNION ALL
            SELECT g::date, NEW.quantity
              FROM generate_series(NEW.start_date, NEW.end_date - 1, interval '1 day') g
             WHERE new_holds
          ) changes
         GROUP BY night
        HAVING sum(amount) <> 0
      ) net;

    IF EXISTS (SELECT FROM unnest(amounts) a WHERE a < 0) THEN
        PERFORM FROM listing_nights
          WHERE listing_id = target AND night = ANY(nights)
          ORDER BY night FOR UPDATE;
        UPDATE listing_nights n SET booked = n.booked + c.amount
          FROM unnest(nights, amounts) AS c(night, amount)
         WHERE n.listing_id = target AND n.night = c.night AND c.amount < 0;
    END IF;

    INSERT INTO listing_nights AS n (listing_id, night, units, booked)
    SELECT target, c.night, l.units, c.amount
      FROM unnest(nights, amounts) AS c(night, amount)
      JOIN listings l ON l.id = target
     WHERE c.amount > 0
     ORDER BY c.night
    ON CONFLICT (listing_id, night) DO UPDATE SET booked = n.booked + EXCLUDED.booked;
    RETURN NULL;
END
$$
"""


def _listing_slot_settings() -> None:
    columns = [
        sa.Column("slot_minutes", sa.Integer(), server_default="60", nullable=False),
        sa.Column("sitting_minutes", sa.Integer(), server_default="120", nullable=False),
        # Local wall-clock opening hours; closes_at <= opens_at closes on the next day;
        # both NULL: open all day.
        sa.Column("opens_at", sa.Time(), server_default=sa.text("'09:00'")),
        sa.Column("closes_at", sa.Time(), server_default=sa.text("'22:00'")),
    ]
    for column in columns:
        op.add_column("listings", column)
    checks = {
        "slot_minutes_range": "slot_minutes BETWEEN 5 AND 1440",
        "sitting_minutes_range": "sitting_minutes BETWEEN 5 AND 1440",
        "opening_hours_both_or_neither": "(opens_at IS NULL) = (closes_at IS NULL)",
    }
    for name, condition in checks.items():
        op.create_check_constraint(name, "listings", condition)

    op.create_table(
        "listing_units",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "listing_id",
            sa.Uuid(),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("seats", sa.Integer()),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),
        sa.UniqueConstraint("listing_id", "position"),
    )


def _slot_reservations() -> None:
    columns = [
        sa.Column("starts_at", sa.DateTime(timezone=True)),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("party_size", sa.Integer()),
    ]
    for column in columns:
        op.add_column("reservations", column)
    op.create_check_constraint(
        "slot_range",
        "reservations",
        "(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at",
    )
    op.create_check_constraint(
        "party_size_positive", "reservations", "party_size IS NULL OR party_size >= 1"
    )

    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "reservation_units",
        sa.Column(
            "reservation_id",
            sa.Uuid(),
            sa.ForeignKey("reservations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("unit_id", sa.Uuid(), sa.ForeignKey("listing_units.id"), primary_key=True),
        sa.Column(
            "listing_id",
            sa.Uuid(),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("during", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("holding", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("NOT isempty(during)", name="during_not_empty"),
        postgresql.ExcludeConstraint(
            ("unit_id", "="),
            ("during", "&&"),
            using="gist",
            where=sa.text("holding"),
            name=NO_OVERLAP,
        ),
    )
    # Free slots of listings on a day (search) read this.
    op.create_index(
        "ix_reservation_units_listing_during",
        "reservation_units",
        ["listing_id", "during"],
        postgresql_using="gist",
        postgresql_where=sa.text("holding"),
    )
    op.execute(SYNC_FUNCTION)
    op.execute(SYNC_TRIGGER)
    op.execute(_inventory_function(skip_slots=True))


def upgrade() -> None:
    _listing_slot_settings()
    _slot_reservations()


def downgrade() -> None:
    op.execute(_inventory_function(skip_slots=False))
    op.execute("DROP TRIGGER reservations_slot_units ON reservations")
    op.execute("DROP FUNCTION reservations_sync_slot_units()")
    op.drop_table("reservation_units")
    op.drop_constraint("ck_reservations_party_size_positive", "reservations")
    op.drop_constraint("ck_reservations_slot_range", "reservations")
    for column in ("party_size", "ends_at", "starts_at"):
        op.drop_column("reservations", column)
    op.drop_table("listing_units")
    for name in (
        "opening_hours_both_or_neither",
        "sitting_minutes_range",
        "slot_minutes_range",
    ):
        op.drop_constraint(f"ck_listings_{name}", "listings")
    for column in ("closes_at", "opens_at", "sitting_minutes", "slot_minutes"):
        op.drop_column("listings", column)
