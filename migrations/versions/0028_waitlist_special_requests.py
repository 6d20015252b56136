"""Special requests on waitlist entries (issue 19.4): free text the guest asks the host, as on
reservations, carried into the booking an offer makes. NULL when the entry did not say.

Revision ID: 0028_waitlist_requests
Revises: 0027_host_notices
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_waitlist_requests"
down_revision: str | None = "0027_host_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("waitlist_entries", sa.Column("special_requests", sa.Text(), nullable=True))
    op.create_check_constraint(
        "special_requests_length", "waitlist_entries", "char_length(special_requests) <= 2000"
    )


def downgrade() -> None:
    # As created: the naming convention makes it ck_waitlist_entries_<name>.
    op.drop_constraint(
        op.f("ck_waitlist_entries_special_requests_length"), "waitlist_entries", type_="check"
    )
    op.drop_column("waitlist_entries", "special_requests")
