"""The request that caused an outbox event, so its delivery logs carry the same request id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("request_id", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "request_id")
