"""Transactional outbox, notification log, check-in/out times, and change notifications.

- `outbox`: one row per event someone must hear about, written in the transaction that
  causes it; a relay moves unrelayed rows to Dramatiq (bookwell/workers/relay.py), and
  relays again rows whose message never got done (a Redis that restarted empty).
  A bigint identity (not a UUIDv7): rows are also written from SQL, and the relay reads
  them in commit-ish order. An insert wakes relays with NOTIFY bookwell_outbox.
- `notification_log`: one row per (event, recipient) delivered; a redelivered message
  finds it and sends nothing again.
- `listings.check_in_time` / `check_out_time`: local times the scheduler moves stays
  CONFIRMED -> ACTIVE -> COMPLETED at, and reminders count back from.
- NOTIFY bookwell_availability with {listing_id, start_date, end_date} whenever a
  reservation starts, stops or moves, delivered at commit (never for a rollback): API
  processes fan it out to `availabilityChanged` subscribers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOX_NOTIFY = (
    """
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Per statement, and only when it inserted rows: ON CONFLICT DO NOTHING inserts none.
    IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('bookwell_outbox', '');
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()
""",
)

AVAILABILITY_NOTIFY = (
    """
CREATE FUNCTION reservations_notify_availability() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.listing_id ELSE NEW.listing_id END;
    first_day date;
    last_day date;
BEGIN
    IF TG_OP = 'INSERT' THEN
        first_day := NEW.start_date; last_day := NEW.end_date;
    ELSIF TG_OP = 'DELETE' THEN
        first_day := OLD.start_date; last_day := OLD.end_date;
    ELSE
        first_day := least(OLD.start_date, NEW.start_date);
        last_day := greatest(OLD.end_date, NEW.end_date);
    END IF;
    PERFORM pg_notify('bookwell_availability', json_build_object(
        'listing_id', target, 'start_date', first_day, 'end_date', last_day)::text);
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER reservations_notify_insert AFTER INSERT ON reservations
FOR EACH ROW EXECUTE FUNCTION reservations_notify_availability()
""",
    """
CREATE TRIGGER reservations_notify_delete AFTER DELETE ON reservations
FOR EACH ROW EXECUTE FUNCTION reservations_notify_availability()
""",
    """
CREATE TRIGGER reservations_notify_update AFTER UPDATE ON reservations
FOR EACH ROW WHEN (
    OLD.status IS DISTINCT FROM NEW.status
    OR OLD.start_date IS DISTINCT FROM NEW.start_date
    OR OLD.end_date IS DISTINCT FROM NEW.end_date
    OR OLD.quantity IS DISTINCT FROM NEW.quantity
    OR OLD.starts_at IS DISTINCT FROM NEW.starts_at
    OR OLD.ends_at IS DISTINCT FROM NEW.ends_at
) EXECUTE FUNCTION reservations_notify_availability()
""",
)


def upgrade() -> None:
    op.add_column(
        "listings",
        sa.Column("check_in_time", sa.Time(), server_default="15:00", nullable=False),
    )
    op.add_column(
        "listings",
        sa.Column("check_out_time", sa.Time(), server_default="11:00", nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("waitlist_entry_id", sa.Uuid(), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(200), nullable=True),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("relay_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name="fk_outbox_reservation_id_reservations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["waitlist_entry_id"],
            ["waitlist_entries.id"],
            name="fk_outbox_waitlist_entry_id_waitlist_entries",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index(
        "ix_outbox_unrelayed", "outbox", ["id"], postgresql_where=sa.text("relayed_at IS NULL")
    )
    op.create_index(
        "ix_outbox_undelivered",
        "outbox",
        ["relayed_at"],
        postgresql_where=sa.text("relayed_at IS NOT NULL AND delivered_at IS NULL"),
    )
    op.create_index("ix_outbox_reservation_id", "outbox", ["reservation_id"])
    op.create_table(
        "notification_log",
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("channel", sa.String(16), server_default="email", nullable=False),
        sa.Column(
            "sent_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name="fk_notification_log_outbox_id_outbox",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", "recipient", name="pk_notification_log"),
    )
    # One statement per execute: asyncpg prepares each.
    for statement in (*OUTBOX_NOTIFY, *AVAILABILITY_NOTIFY):
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER reservations_notify_{trigger} ON reservations")
    op.execute("DROP FUNCTION reservations_notify_availability()")
    op.drop_table("notification_log")
    op.drop_table("outbox")
    op.execute("DROP FUNCTION outbox_notify()")
    op.drop_column("listings", "check_out_time")
    op.drop_column("listings", "check_in_time")
