"""The host's copies of status emails (issue 17.3): per listing, whether its host gets a copy
of the guest's check-in (ACTIVE) and no-show emails: ALWAYS, WHEN_AUTOMATIC (only when the
scheduler made the change, as before: the default) or NEVER. Read by workers/notices.py.

Revision ID: 0027_host_notices
Revises: 0026_no_show_refund
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_host_notices"
down_revision: str | None = "0026_no_show_refund"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("notify_host_on_check_in", "notify_host_on_no_show")


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column(
            "listings",
            sa.Column(
                column,
                sa.Enum(
                    "ALWAYS",
                    "WHEN_AUTOMATIC",
                    "NEVER",
                    name=column,
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="WHEN_AUTOMATIC",
                nullable=False,
            ),
        )


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_column("listings", column)
