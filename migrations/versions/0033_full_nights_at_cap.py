"""book_stay's full-night refusal (BW006) names the guests at their hold cap on the listing.

A hot listing's contenders wait in this process's queue for the listing (flows/
listing_gate.py). Once book_stay answers one of them "a night is full", every request of
the same nights that was already waiting when that statement was sent would be refused too,
and with the same words, unless its guest has reached their cap of unpaid holds on the
listing: book_stay counts those first and answers HOLD_LIMIT. The refusal now says who they
are (their ids in its DETAIL, comma-separated, counted under the listing's lock as the cap
is), so services/booking/full_nights.py can refuse the others without a round trip,
exactly as PostgreSQL would have. Nothing else in book_stay changes.

Revision ID: 0033_full_nights_at_cap
Revises: 0032_stored_global_ids
Create Date: 2026-12-08
"""

import runpy
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0033_full_nights_at_cap"
down_revision: str | None = "0032_stored_global_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# book_stay as migration 0030 made it; this revision changes its BW006 line only.
BOOK_STAY_0030: str = runpy.run_path(
    str(Path(__file__).with_name("0030_book_stay_full_nights.py"))
)["BOOK_STAY"]

FULL_NIGHT = "RAISE EXCEPTION USING ERRCODE = 'BW006', MESSAGE = 'a night is full';"
FULL_NIGHT_NAMING_GUESTS_AT_CAP = """RAISE EXCEPTION USING ERRCODE = 'BW006', MESSAGE = 'a night is full',
            DETAIL = coalesce((
                SELECT string_agg(at_cap.guest_id::text, ',')
                  FROM (SELECT r.guest_id FROM reservations r
                         WHERE r.listing_id = p_listing AND r.status = 'PENDING'
                           AND r.expires_at > now()
                           AND NOT EXISTS (
                               SELECT FROM payments p
                                WHERE p.reservation_id = r.id
                                  AND p.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'))
                         GROUP BY r.guest_id
                        HAVING count(*) >= listing.max_guest_holds) at_cap), '');"""

assert BOOK_STAY_0030.count(FULL_NIGHT) == 1, "migration 0030's book_stay is not as expected"
BOOK_STAY = BOOK_STAY_0030.replace(FULL_NIGHT, FULL_NIGHT_NAMING_GUESTS_AT_CAP)


def upgrade() -> None:
    op.execute(BOOK_STAY)


def downgrade() -> None:
    op.execute(BOOK_STAY_0030)
