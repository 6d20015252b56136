"""listing_nights partitioned by RANGE (night): one partition a year, and a DEFAULT.

The table is rebuilt: the plain table is renamed, a partitioned one takes its name and
constraints (PK (listing_id, night), the capacity CHECK, the FK to listings), partitions are
made from the earliest night's year (at the latest last year) to two years ahead, the rows
are copied and the old table dropped. Everything runs in the migration's transaction under
an ACCESS EXCLUSIVE lock on listing_nights: bookings wait for the copy (docs/scaling.md).

The inventory trigger is unchanged: its `INSERT ... ON CONFLICT (listing_id, night)` and
`FOR UPDATE` work on a partitioned table, and a stay crossing a year takes nights in two
partitions, still in date order.

Later years: `SELECT bookwell_ensure_night_partitions(2)` (the scheduler runs it daily,
workers/partitions.py). DEFAULT catches nights beyond the last partition so a booking
never fails for want of one; making that year's partition moves its rows out of DEFAULT.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_PARTITION = "listing_nights_default"

# Names as the models' naming convention gives them (models/base.py), so both tables match.
# PostgreSQL 18 names NOT NULL constraints too; named here, they do not become "..._null1"
# beside the table being replaced (earlier versions accept the names and ignore them).
COLUMNS_AND_CONSTRAINTS = """
    listing_id uuid CONSTRAINT listing_nights_listing_id_not_null NOT NULL,
    night date CONSTRAINT listing_nights_night_not_null NOT NULL,
    units integer CONSTRAINT listing_nights_units_not_null NOT NULL,
    booked integer CONSTRAINT listing_nights_booked_not_null NOT NULL,
    CONSTRAINT pk_listing_nights PRIMARY KEY (listing_id, night),
    CONSTRAINT fk_listing_nights_listing_id_listings
        FOREIGN KEY (listing_id) REFERENCES listings (id) ON DELETE CASCADE,
    CONSTRAINT ck_listing_nights_capacity CHECK (booked >= 0 AND booked <= units)
"""

# One year's partition, listing_nights_y<year>. A row of that year in DEFAULT would make
# CREATE ... PARTITION OF fail, so DEFAULT is detached first, the year's rows moved from it
# into the new partition, and DEFAULT attached again: all in the caller's transaction.
CREATE_PARTITION_FUNCTION = f"""
CREATE FUNCTION bookwell_create_night_partition(year int) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    name text := format('listing_nights_y%s', year);
    low date := make_date(year, 1, 1);
    high date := make_date(year + 1, 1, 1);
    has_default boolean := to_regclass('{DEFAULT_PARTITION}') IS NOT NULL;
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    IF has_default THEN
        ALTER TABLE listing_nights DETACH PARTITION {DEFAULT_PARTITION};
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF listing_nights FOR VALUES FROM (%L) TO (%L)',
                   name, low, high);
    IF has_default THEN
        EXECUTE format(
            'WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE night >= %L AND night < %L'
            '               RETURNING listing_id, night, units, booked)'
            ' INSERT INTO %I (listing_id, night, units, booked) SELECT * FROM moved',
            low, high, name);
        ALTER TABLE listing_nights ATTACH PARTITION {DEFAULT_PARTITION} DEFAULT;
    END IF;
    RETURN true;
END
$$
"""

# Partitions for this year .. this year + years_ahead; returns how many it made. The check
# is lock-free, so a call with nothing to do takes no lock; otherwise listing_nights is
# locked (ACCESS EXCLUSIVE: set lock_timeout) and checked again, so concurrent calls are safe.
ENSURE_FUNCTION = """
CREATE FUNCTION bookwell_ensure_night_partitions(years_ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    this_year int := extract(year FROM current_date)::int;
    made int := 0;
    y int;
BEGIN
    IF NOT EXISTS (
        SELECT FROM generate_series(this_year, this_year + years_ahead) g
         WHERE to_regclass(format('listing_nights_y%s', g)) IS NULL
    ) THEN
        RETURN 0;
    END IF;
    LOCK TABLE listing_nights IN ACCESS EXCLUSIVE MODE;
    FOR y IN this_year .. this_year + years_ahead LOOP
        IF bookwell_create_night_partition(y) THEN
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END
$$
"""

FIRST_YEARS = """
SELECT bookwell_create_night_partition(y)
  FROM generate_series(
         least((SELECT extract(year FROM min(night))::int FROM listing_nights_unpartitioned),
               extract(year FROM current_date)::int - 1),
         extract(year FROM current_date)::int + 2) y
"""

COPY_COLUMNS = "listing_id, night, units, booked"


def upgrade() -> None:
    op.execute("ALTER TABLE listing_nights RENAME TO listing_nights_unpartitioned")
    op.execute(
        "ALTER TABLE listing_nights_unpartitioned"
        " RENAME CONSTRAINT pk_listing_nights TO pk_listing_nights_unpartitioned"
    )
    op.execute(
        f"CREATE TABLE listing_nights ({COLUMNS_AND_CONSTRAINTS}) PARTITION BY RANGE (night)"
    )
    op.execute(CREATE_PARTITION_FUNCTION)
    op.execute(ENSURE_FUNCTION)
    op.execute(FIRST_YEARS)
    op.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF listing_nights DEFAULT")
    op.execute(
        f"INSERT INTO listing_nights ({COPY_COLUMNS})"
        f" SELECT {COPY_COLUMNS} FROM listing_nights_unpartitioned"
    )
    op.execute("DROP TABLE listing_nights_unpartitioned")


def downgrade() -> None:
    op.execute("ALTER TABLE listing_nights RENAME TO listing_nights_partitioned")
    op.execute(
        "ALTER TABLE listing_nights_partitioned"
        " RENAME CONSTRAINT pk_listing_nights TO pk_listing_nights_partitioned"
    )
    op.execute(f"CREATE TABLE listing_nights ({COLUMNS_AND_CONSTRAINTS})")
    op.execute(
        f"INSERT INTO listing_nights ({COPY_COLUMNS})"
        f" SELECT {COPY_COLUMNS} FROM listing_nights_partitioned"
    )
    op.execute("DROP TABLE listing_nights_partitioned")  # and its partitions
    op.execute("DROP FUNCTION bookwell_ensure_night_partitions(int)")
    op.execute("DROP FUNCTION bookwell_create_night_partition(int)")
