"""Inventory trigger: a change that frees nights locks all its nights in date order first.

0001 freed nights (ordered FOR UPDATE) before taking new ones (ordered upsert), so a change of
dates onto earlier nights, or a release beside a night row another transaction was inserting,
could take nights out of order and deadlock. Now any change that frees a night first locks,
or creates empty, every night it touches in one date-ordered upsert, then applies the deltas
to rows it already holds. Changes that only take nights keep the single ordered upsert.
Slot reservations stay out of listing_nights (0003).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVENTORY_FUNCTION = """
CREATE OR REPLACE FUNCTION reservations_apply_inventory() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    holding CONSTANT text[] := ARRAY['PENDING', 'CONFIRMED', 'ACTIVE'];
    old_holds boolean := TG_OP <> 'INSERT' AND OLD.status = ANY(holding);
    new_holds boolean := TG_OP <> 'DELETE' AND NEW.status = ANY(holding);
    target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.listing_id ELSE NEW.listing_id END;
    is_slot boolean := CASE WHEN TG_OP = 'DELETE' THEN OLD.starts_at IS NOT NULL
                            ELSE NEW.starts_at IS NOT NULL END;
    nights date[];
    amounts int[];
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.listing_id <> NEW.listing_id THEN
        RAISE EXCEPTION 'a reservation cannot move to another listing';
    END IF;
    IF is_slot OR NOT (old_holds OR new_holds) THEN
        RETURN NULL;
    END IF;

    SELECT coalesce(array_agg(night ORDER BY night), '{}'),
           coalesce(array_agg(amount ORDER BY night), '{}')
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
        -- Lock every touched night in date order (an empty row where none exists: a
        -- proposed booked = 0 passes the CHECK), then change only rows already held.
        INSERT INTO listing_nights AS n (listing_id, night, units, booked)
        SELECT target, c.night, l.units, 0
          FROM unnest(nights) AS c(night)
          JOIN listings l ON l.id = target
         ORDER BY c.night
        ON CONFLICT (listing_id, night) DO UPDATE SET booked = n.booked;
        UPDATE listing_nights n SET booked = n.booked + c.amount
          FROM unnest(nights, amounts) AS c(night, amount)
         WHERE n.listing_id = target AND n.night = c.night;
        RETURN NULL;
    END IF;

    INSERT INTO listing_nights AS n (listing_id, night, units, booked)
    SELECT target, c.night, l.units, c.amount
      FROM unnest(nights, amounts) AS c(night, amount)
      JOIN listings l ON l.id = target
     ORDER BY c.night
    ON CONFLICT (listing_id, night) DO UPDATE SET booked = n.booked + EXCLUDED.booked;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute(INVENTORY_FUNCTION)


def downgrade() -> None:
    path = Path(__file__).with_name("0003_slots.py")
    spec = importlib.util.spec_from_file_location("bookwell_migration_0003", path)
    assert spec and spec.loader
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    op.execute(previous._inventory_function(skip_slots=True))
