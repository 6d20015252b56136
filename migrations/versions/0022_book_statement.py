"""One round trip per booking (issue 18): a version of each listing's terms, told by NOTIFY,
and the booking of a stay as one SQL function.

- `listings.terms_version`: counted up by any change of the listing's row, its price
  rules, booking rules or taxes. A process caches terms and prices from them
  (services/listings/terms_cache.py);
  `book_stay` refuses a price made from another version than the row it locks, so a stale
  cache can never book a wrong price.
- NOTIFY bookwell_listing_terms with the listing's id when its version changes, at commit:
  processes drop that listing's cached terms.
- `book_stay(...)`: the idempotency claim, the listing's lock and unpaid-hold counts, the
  check for overdue holds in the way, the INSERT (whose triggers keep capacity) and the
  outbox row, in one statement run in autocommit; it returns the reservation. Refusals are
  raised (so nothing it did stays): SQLSTATE BW001 stale terms (or no such listing), BW002
  idempotency key reused, BW003 hold limit (MESSAGE whose: "guest" or "listing"; DETAIL
  how many unpaid holds), BW004 overdue holds in the way (the caller's ordinary transaction
  expires them), BW005 a key whose earlier request made no stay. A full night fails the
  capacity CHECK as ever.

Revision ID: 0022_book
Revises: 0021_money
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_book"
down_revision: str | None = "0021_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables of a listing's terms beside its row (each has listing_id): price rules, booking
# rules and their seasons (0020), taxes (0021).
TERMS_PARTS = ("listing_price_rules", "listing_booking_rules", "listing_taxes")

TERMS_VERSION = (
    # Any change of the row counts: a column added later (a booking rule) needs no edit here.
    """
CREATE FUNCTION listings_count_terms_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.terms_version = OLD.terms_version AND NEW IS DISTINCT FROM OLD THEN
        NEW.terms_version := OLD.terms_version + 1;
    END IF;
    RETURN NEW;
END $$
""",
    """
CREATE TRIGGER listings_terms_version BEFORE UPDATE ON listings
FOR EACH ROW EXECUTE FUNCTION listings_count_terms_version()
""",
    """
CREATE FUNCTION listings_notify_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.terms_version <> OLD.terms_version THEN
        PERFORM pg_notify('bookwell_listing_terms', NEW.id::text);
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER listings_notify_terms AFTER UPDATE ON listings
FOR EACH ROW EXECUTE FUNCTION listings_notify_terms()
""",
    """
CREATE FUNCTION listing_part_count_terms_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE listings SET terms_version = terms_version + 1
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.listing_id ELSE NEW.listing_id END;
    IF TG_OP = 'UPDATE' AND OLD.listing_id <> NEW.listing_id THEN
        UPDATE listings SET terms_version = terms_version + 1 WHERE id = OLD.listing_id;
    END IF;
    RETURN NULL;
END $$
""",
    # What else a booking is priced or judged by: price rules, taxes, booking rules.
    *(
        f"""
CREATE TRIGGER {table}_terms_version AFTER INSERT OR UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION listing_part_count_terms_version()
"""
        for table in TERMS_PARTS
    ),
)

BOOK_STAY = """
CREATE FUNCTION book_stay(
    p_id uuid, p_listing uuid, p_guest uuid, p_guest_name text,
    p_start date, p_end date, p_quantity int,
    p_total numeric, p_currency text, p_snapshot jsonb, p_terms_version bigint,
    p_key text, p_request_hash bytea, p_request_id text
) RETURNS SETOF reservations LANGUAGE plpgsql AS $$
DECLARE
    listing record;
    earlier record;
    guest_holds int;
    listing_holds int;
BEGIN
    -- A concurrent request with the same key waits here until the first one ends.
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (user_id, key, request_hash, reservation_id)
        VALUES (p_guest, p_key, p_request_hash, p_id)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT k.request_hash, k.reservation_id INTO earlier
              FROM idempotency_keys k WHERE k.user_id = p_guest AND k.key = p_key;
            IF earlier.request_hash <> p_request_hash THEN
                RAISE EXCEPTION USING ERRCODE = 'BW002', MESSAGE = 'idempotency key reused';
            END IF;
            IF earlier.reservation_id IS NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'BW005', MESSAGE = 'no reservation under key';
            END IF;
            RETURN QUERY SELECT * FROM reservations r WHERE r.id = earlier.reservation_id;
            RETURN;
        END IF;
    END IF;

    -- Holds on one listing are counted one after another (services/booking/holds.py).
    SELECT l.terms_version, l.hold_minutes, l.max_guest_holds, l.max_listing_holds
      INTO listing
      FROM listings l WHERE l.id = p_listing
       FOR NO KEY UPDATE;
    IF NOT FOUND OR listing.terms_version <> p_terms_version THEN
        RAISE EXCEPTION USING ERRCODE = 'BW001', MESSAGE = 'stale listing terms';
    END IF;

    SELECT count(*) FILTER (WHERE r.guest_id = p_guest), count(*)
      INTO guest_holds, listing_holds
      FROM reservations r
     WHERE r.listing_id = p_listing AND r.status = 'PENDING' AND r.expires_at > now()
       AND NOT EXISTS (
           SELECT FROM payments p
            WHERE p.reservation_id = r.id
              AND p.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'));
    IF guest_holds >= listing.max_guest_holds THEN
        RAISE EXCEPTION USING ERRCODE = 'BW003', MESSAGE = 'guest', DETAIL = guest_holds;
    ELSIF listing_holds >= listing.max_listing_holds THEN
        RAISE EXCEPTION USING ERRCODE = 'BW003', MESSAGE = 'listing', DETAIL = listing_holds;
    END IF;

    IF EXISTS (
        SELECT FROM reservations r
         WHERE r.listing_id = p_listing AND r.status = 'PENDING' AND r.expires_at <= now()
           AND r.starts_at IS NULL AND r.start_date < p_end AND r.end_date > p_start
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'BW004', MESSAGE = 'overdue holds in the way';
    END IF;

    RETURN QUERY
    INSERT INTO reservations AS r (
        id, listing_id, guest_id, guest_name, start_date, end_date, quantity, status,
        total_amount, currency, price_snapshot, tax_amount, expires_at)
    VALUES (
        p_id, p_listing, p_guest,
        coalesce(nullif(p_guest_name, ''), (SELECT u.name FROM users u WHERE u.id = p_guest)),
        p_start, p_end, p_quantity, 'PENDING', p_total, p_currency, p_snapshot,
        -- The taxes in the total, as services/listings/agreed_price.py tax_of reads them.
        coalesce((p_snapshot->>'taxTotal')::numeric, 0),
        now() + make_interval(mins => listing.hold_minutes))
    RETURNING r.*;

    INSERT INTO outbox (event, reservation_id, data, request_id)
    VALUES ('reservation.created', p_id, '{}'::jsonb, p_request_id);
END $$
"""


def upgrade() -> None:
    op.add_column(
        "listings",
        sa.Column("terms_version", sa.BigInteger(), server_default="0", nullable=False),
    )
    for statement in TERMS_VERSION:
        op.execute(statement)
    op.execute(BOOK_STAY)


def downgrade() -> None:
    op.execute("DROP FUNCTION book_stay")
    for table in TERMS_PARTS:
        op.execute(f"DROP TRIGGER {table}_terms_version ON {table}")
    op.execute("DROP FUNCTION listing_part_count_terms_version")
    op.execute("DROP TRIGGER listings_notify_terms ON listings")
    op.execute("DROP FUNCTION listings_notify_terms")
    op.execute("DROP TRIGGER listings_terms_version ON listings")
    op.execute("DROP FUNCTION listings_count_terms_version")
    op.drop_column("listings", "terms_version")
