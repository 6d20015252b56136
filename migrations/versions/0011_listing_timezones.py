"""A listing's timezone is one PostgreSQL knows, checked when it is written.

A name PostgreSQL cannot read (Python's zoneinfo knows "localtime", PostgreSQL does not) made
`timezone(listings.timezone, now())` raise inside every query over that row's neighbours:
public search failed for everyone. The trigger refuses such names whoever writes them; rows
written before it are moved to UTC (a NOTICE names each), since no query could use them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# pg_timezone_names reads the zone files (~15 ms): UTC, the default, skips it.
CHECK_FUNCTION = """
CREATE FUNCTION listings_check_timezone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.timezone = 'UTC'
       OR EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.timezone) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'unknown time zone %', quote_literal(NEW.timezone)
        USING ERRCODE = 'check_violation', CONSTRAINT = 'listings_timezone_known',
              HINT = 'A name in pg_timezone_names, such as Europe/Paris.';
END
$$
"""
CHECK_TRIGGER = """
CREATE TRIGGER listings_timezone_known
BEFORE INSERT OR UPDATE OF timezone ON listings
FOR EACH ROW EXECUTE FUNCTION listings_check_timezone()
"""
REPAIR = """
DO $$
DECLARE
    bad record;
BEGIN
    FOR bad IN
        SELECT id, timezone FROM listings
        WHERE timezone <> 'UTC'
          AND timezone NOT IN (SELECT name FROM pg_timezone_names)
    LOOP
        RAISE NOTICE 'listing % had unknown time zone %: now UTC', bad.id,
            quote_literal(bad.timezone);
        UPDATE listings SET timezone = 'UTC' WHERE id = bad.id;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.execute(REPAIR)
    op.execute(CHECK_FUNCTION)
    op.execute(CHECK_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER listings_timezone_known ON listings")
    op.execute("DROP FUNCTION listings_check_timezone()")
