"""Webhook endpoints' secrets sealed at rest (core/sealed.py); the downgrade opens them.

The key comes from the app's secret key as the app finds it (BOOKWELL_SECRET_KEY, or the key
kept in the data directory): run it with the same settings as the app. Asked for only when
there are rows to change.

Revision ID: 0023_sealed_secrets
Revises: 0022_book
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bookwell.core.config import Settings
from bookwell.core.sealed import SecretBox, endpoint_context, webhook_box

revision: str = "0023_sealed_secrets"
down_revision: str | None = "0022_book"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAIN_PREFIX = "whsec_"


def _rows() -> list[sa.Row]:
    return list(op.get_bind().execute(sa.text("SELECT id, secret FROM webhook_endpoints")))


def _write(rows: list[tuple[object, str]]) -> None:
    statement = sa.text("UPDATE webhook_endpoints SET secret = :secret WHERE id = :id")
    for endpoint_id, secret in rows:
        op.get_bind().execute(statement, {"id": endpoint_id, "secret": secret})


def _box() -> SecretBox:
    return webhook_box(Settings())


def upgrade() -> None:
    op.alter_column(
        "webhook_endpoints", "secret", type_=sa.String(200), existing_type=sa.String(100)
    )
    plain = [row for row in _rows() if row.secret.startswith(PLAIN_PREFIX)]
    if plain:
        box = _box()
        _write([(row.id, box.seal(row.secret, context=endpoint_context(row.id))) for row in plain])


def downgrade() -> None:
    sealed = [row for row in _rows() if not row.secret.startswith(PLAIN_PREFIX)]
    if sealed:
        box = _box()
        _write([(row.id, box.open(row.secret, context=endpoint_context(row.id))) for row in sealed])
    op.alter_column(
        "webhook_endpoints", "secret", type_=sa.String(100), existing_type=sa.String(200)
    )
