"""bookwell_free_units(ids, first night, night after the stay): each listing's id, timezone
and fewest units free on a night of the stay (services/listings/availability.py FREE_UNITS).

A statement over partitioned listing_nights is planned anew on every run: the plan cache
prefers custom plans, which prune partitions while planning (~0.2 ms of PostgreSQL's 0.25
for one listing). PL/pgSQL keeps the query's plan for the session, and the function's own
plan_cache_mode makes it one generic plan that prunes partitions when it runs. Nothing is
kept on the client's side, so this holds through PgBouncer and without a statement cache;
other statements keep the server's plan_cache_mode.

Revision ID: 0031_free_units_function
Revises: 0030_book_stay_full_nights
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision = "0031_free_units_function"
down_revision = "0030_book_stay_full_nights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREATE_FREE_UNITS = """
CREATE OR REPLACE FUNCTION bookwell_free_units(ids uuid[], first_night date, end_night date)
RETURNS TABLE (id uuid, timezone varchar, free integer)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT listings.id, listings.timezone,
           least(listings.units, min(listing_nights.units - listing_nights.booked))
    FROM listings
    LEFT OUTER JOIN listing_nights
        ON listing_nights.listing_id = listings.id
        AND listing_nights.night >= first_night
        AND listing_nights.night < end_night
    WHERE listings.id = ANY (ids)
    GROUP BY listings.id;
END
$$
"""


def upgrade() -> None:
    op.execute(CREATE_FREE_UNITS)


def downgrade() -> None:
    op.execute("DROP FUNCTION bookwell_free_units(uuid[], date, date)")
