"""Buffer times around slot bookings, held by the exclusion constraint itself.

A slot listing's `buffer_before_minutes` and `buffer_after_minutes` (e.g. 15 minutes to
clean a room) are copied onto each unit a booking takes (reservation_units), and the
generated column `occupied` is the booked range widened by them. The exclusion constraint
that kept two holding ranges of one unit apart now compares `occupied`: two bookings whose
buffered ranges overlap on one unit can never both exist, whoever writes them. It keeps its
name, so every `ON CONFLICT ON CONSTRAINT` stays as it is. Rows written before have no
buffers (0 and 0): `occupied` equals `during` for them.

Blackouts (services/listings/blackouts.py) need no schema: they are calendar blocks
(reservations with `external_uid`) whose `external_source` is 'blackout'.

Revision ID: 0019_buffers
Revises: 0018_webhooks
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_buffers"
down_revision: str | None = "0018_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_OVERLAP = "ex_reservation_units_no_overlap"

# Minutes are a fixed number of microseconds whatever the time zone, so this is immutable
# (PostgreSQL only knows timestamptz - interval as stable, because of days and months).
BUFFERED_RANGE = """
CREATE FUNCTION buffered_range(during tstzrange, before_minutes integer, after_minutes integer)
RETURNS tstzrange
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT tstzrange(lower(during) - make_interval(mins => before_minutes),
                     upper(during) + make_interval(mins => after_minutes), '[)')
$$
"""

LISTING_CHECKS = {
    "buffer_before_minutes_range": "buffer_before_minutes BETWEEN 0 AND 1440",
    "buffer_after_minutes_range": "buffer_after_minutes BETWEEN 0 AND 1440",
}
UNIT_CHECKS = {
    "buffers_not_negative": "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0",
}


def upgrade() -> None:
    for name in ("buffer_before_minutes", "buffer_after_minutes"):
        op.add_column("listings", sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        op.add_column(
            "reservation_units", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )
    for name, condition in LISTING_CHECKS.items():
        op.create_check_constraint(name, "listings", condition)
    for name, condition in UNIT_CHECKS.items():
        op.create_check_constraint(name, "reservation_units", condition)
    op.execute(BUFFERED_RANGE)
    op.add_column(
        "reservation_units",
        sa.Column(
            "occupied",
            postgresql.TSTZRANGE(),
            sa.Computed(
                "buffered_range(during, buffer_before_minutes, buffer_after_minutes)",
                persisted=True,
            ),
            nullable=False,
        ),
    )
    op.drop_constraint(NO_OVERLAP, "reservation_units")
    op.create_exclude_constraint(
        NO_OVERLAP,
        "reservation_units",
        ("unit_id", "="),
        ("occupied", "&&"),
        using="gist",
        where=sa.text("holding"),
    )
    # Free slots (search) and blackouts read the buffered ranges of a listing's units.
    op.create_index(
        "ix_reservation_units_listing_occupied",
        "reservation_units",
        ["listing_id", "occupied"],
        postgresql_using="gist",
        postgresql_where=sa.text("holding"),
    )


def downgrade() -> None:
    op.drop_index("ix_reservation_units_listing_occupied", table_name="reservation_units")
    op.drop_constraint(NO_OVERLAP, "reservation_units")
    op.create_exclude_constraint(
        NO_OVERLAP,
        "reservation_units",
        ("unit_id", "="),
        ("during", "&&"),
        using="gist",
        where=sa.text("holding"),
    )
    op.drop_column("reservation_units", "occupied")
    op.execute("DROP FUNCTION buffered_range(tstzrange, integer, integer)")
    for name in UNIT_CHECKS:
        op.drop_constraint(op.f(f"ck_reservation_units_{name}"), "reservation_units", type_="check")
    for name in LISTING_CHECKS:
        op.drop_constraint(op.f(f"ck_listings_{name}"), "listings", type_="check")
    for name in ("buffer_after_minutes", "buffer_before_minutes"):
        op.drop_column("reservation_units", name)
        op.drop_column("listings", name)
