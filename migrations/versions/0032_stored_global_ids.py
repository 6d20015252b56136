"""listings, reservations and users keep their GraphQL global id (core.ids.global_id:
base64 of "Type:<uuid>") in a stored generated column, `global_id`: a compiled read writes
hundreds of them as JSON, and encoding each anew was ~8% of a nested read's PostgreSQL CPU
(issue 18). Adding a stored generated column rewrites each table under an ACCESS EXCLUSIVE
lock: on a large reservations table, run it in a maintenance window.

Revision ID: 0032_stored_global_ids
Revises: 0031_free_units_function
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision = "0032_stored_global_ids"
down_revision = "0031_free_units_function"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"listings": "Listing", "reservations": "Reservation", "users": "User"}


def upgrade() -> None:
    for table, type_name in TABLES.items():
        generated = f"encode(decode('{type_name}:' || CAST(id AS TEXT), 'escape'), 'base64')"
        op.add_column(
            table, sa.Column("global_id", sa.Text(), sa.Computed(generated, persisted=True))
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "global_id")
