"""Waitlists for slot listings: an entry may name a time window and a party.

A slot listing's entry (restaurant, space, equipment) waits for [starts_at, ends_at) and, at
a restaurant, a table for party_size; start_date/end_date are then the local date of
starts_at and the day after, as on slot reservations. Stay entries leave all three NULL.

Revision ID: 0014_slots
Revises: 0013_outcomes
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_slots"
down_revision: str | None = "0013_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS = {
    "slot_window": "(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at",
    "party_size_positive": "party_size IS NULL OR party_size >= 1",
}


def upgrade() -> None:
    op.add_column("waitlist_entries", sa.Column("starts_at", sa.DateTime(timezone=True)))
    op.add_column("waitlist_entries", sa.Column("ends_at", sa.DateTime(timezone=True)))
    op.add_column("waitlist_entries", sa.Column("party_size", sa.Integer()))
    for name, condition in CHECKS.items():
        op.create_check_constraint(name, "waitlist_entries", condition)


def downgrade() -> None:
    for name in CHECKS:
        op.drop_constraint(op.f(f"ck_waitlist_entries_{name}"), "waitlist_entries", type_="check")
    for column in ("party_size", "ends_at", "starts_at"):
        op.drop_column("waitlist_entries", column)
