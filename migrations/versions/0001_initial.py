"""Initial schema: users, API tokens, listings, nightly inventory, reservations, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text_enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _id_and_created() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


# The capacity guarantee. Every reservation that holds units (PENDING, CONFIRMED, ACTIVE) adds
# its quantity to listing_nights.booked on every night of [start_date, end_date); any change of
# status, range or quantity applies the net difference per night. CHECK (booked <= units) on
# listing_nights then refuses any over-allocation, whoever writes the reservation.
# Rows are locked in date order (bookings by the ordered upsert, releases by an ordered
# FOR UPDATE first), so concurrent changes never deadlock. Releases cannot use the upsert:
# PostgreSQL checks constraints on the proposed row before resolving ON CONFLICT.
INVENTORY_FUNCTION = """
CREATE FUNCTION reservations_apply_inventory() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    holding CONSTANT text[] := ARRAY['PENDING', 'CONFIRMED', 'ACTIVE'];
    old_holds boolean := TG_OP <> 'INSERT' AND OLD.status = ANY(holding);
    new_holds boolean := TG_OP <> 'DELETE' AND NEW.status = ANY(holding);
    target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.listing_id ELSE NEW.listing_id END;
    nights date[];
    amounts int[];
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.listing_id <> NEW.listing_id THEN
        RAISE EXCEPTION 'a reservation cannot move to another listing';
    END IF;
    IF NOT (old_holds OR new_holds) THEN
        RETURN NULL;
    END IF;

    SELECT coalesce(array_agg(night ORDER BY night), '{}'),
           coalesce(array_agg(amount ORDER BY night), '{}')
      INTO nights, amounts
      FROM (
        SELECT night, sum(amount)::int AS amount
          FROM (
            SELECT g::date AS night, -OLD.quantity AS amount
              FROM generate_series(OLD.start_date, OLD.end_date - 1, interval '1 day') g
             WHERE old_holds
            UNION ALL
            SELECT g::date, NEW.quantity
              FROM generate_series(NEW.start_date, NEW.end_date - 1, interval '1 day') g
             WHERE new_holds
          ) changes
         GROUP BY night
        HAVING sum(amount) <> 0
      ) net;

    IF EXISTS (SELECT FROM unnest(amounts) a WHERE a < 0) THEN
        PERFORM FROM listing_nights
          WHERE listing_id = target AND night = ANY(nights)
          ORDER BY night FOR UPDATE;
        UPDATE listing_nights n SET booked = n.booked + c.amount
          FROM unnest(nights, amounts) AS c(night, amount)
         WHERE n.listing_id = target AND n.night = c.night AND c.amount < 0;
    END IF;

    INSERT INTO listing_nights AS n (listing_id, night, units, booked)
    SELECT target, c.night, l.units, c.amount
      FROM unnest(nights, amounts) AS c(night, amount)
      JOIN listings l ON l.id = target
     WHERE c.amount > 0
     ORDER BY c.night
    ON CONFLICT (listing_id, night) DO UPDATE SET booked = n.booked + EXCLUDED.booked;
    RETURN NULL;
END
$$
"""

INVENTORY_TRIGGER = """
CREATE TRIGGER reservations_inventory
AFTER INSERT OR DELETE OR UPDATE OF status, start_date, end_date, quantity, listing_id
ON reservations FOR EACH ROW EXECUTE FUNCTION reservations_apply_inventory();
"""


def upgrade() -> None:
    op.create_table(
        "users",
        *_id_and_created(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", _text_enum("role", "GUEST", "HOST", "ADMIN"), nullable=False),
        sa.Column("password_hash", sa.String(200)),
    )
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)

    op.create_table(
        "api_tokens",
        *_id_and_created(),
        sa.Column(
            "user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )

    op.create_table(
        "listings",
        *_id_and_created(),
        sa.Column("owner_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column(
            "kind",
            _text_enum("listing_kind", "STAY", "RESTAURANT", "SPACE", "EQUIPMENT"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("city", sa.String(120)),
        sa.Column("country", sa.String(2)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("nightly_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("max_guests", sa.Integer()),
        sa.CheckConstraint("units >= 1", name="units_positive"),
        sa.CheckConstraint("nightly_price >= 0", name="price_not_negative"),
        sa.CheckConstraint("max_guests IS NULL OR max_guests >= 1", name="max_guests_positive"),
    )
    op.create_index("ix_listings_city_lower", "listings", [sa.text("lower(city)"), "id"])
    op.create_index("ix_listings_owner_id", "listings", ["owner_id", "id"])

    op.create_table(
        "listing_nights",
        sa.Column(
            "listing_id",
            sa.Uuid(),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("night", sa.Date(), primary_key=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.CheckConstraint("booked >= 0 AND booked <= units", name="capacity"),
    )

    op.create_table(
        "reservations",
        *_id_and_created(),
        sa.Column("listing_id", sa.Uuid(), sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("guest_id", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("guest_name", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _text_enum(
                "reservation_status",
                "PENDING",
                "CONFIRMED",
                "ACTIVE",
                "COMPLETED",
                "CANCELLED",
                "EXPIRED",
            ),
            nullable=False,
        ),
        sa.Column("total_amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("end_date > start_date", name="range_not_empty"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
    )
    op.create_index("ix_reservations_listing_id", "reservations", ["listing_id", "id"])
    op.create_index("ix_reservations_guest_id", "reservations", ["guest_id", "id"])
    op.execute(INVENTORY_FUNCTION)
    op.execute(INVENTORY_TRIGGER)

    op.create_table(
        "idempotency_keys",
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.LargeBinary(32), nullable=False),
        sa.Column(
            "reservation_id",
            sa.Uuid(),
            sa.ForeignKey("reservations.id", deferrable=True, initially="DEFERRED"),
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.execute("DROP TRIGGER reservations_inventory ON reservations")
    op.execute("DROP FUNCTION reservations_apply_inventory()")
    op.drop_table("reservations")
    op.drop_table("listing_nights")
    op.drop_table("listings")
    op.drop_table("api_tokens")
    op.drop_table("users")
