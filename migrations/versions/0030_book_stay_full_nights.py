"""book_stay refuses a full night before inserting anything (issue 18, contended rounds).

Of 100 contenders for a hot listing's last units, 95 are refused; each refusal used to
insert the reservation, let its trigger add its nights until the capacity CHECK failed, and
undo it all, ~0.7 ms of PostgreSQL while holding the listing's lock that every contender
waits on (a check of the nights alone: ~15 us). Now, right before the INSERT (after the
hold limits and the overdue holds, so every refusal keeps its order), a night whose
`booked + quantity > units` raises SQLSTATE BW006, which services/booking/stay_statement.py
answers as UNAVAILABLE, as it answers the CHECK. The CHECK still decides every booking the
look-ahead lets through.

Revision ID: 0030_book_stay_full_nights
Revises: 0029_reservation_guest_phone
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030_book_stay_full_nights"
down_revision: str | None = "0029_reservation_guest_phone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As migration 0022 made it.
BOOK_STAY_0022 = """
CREATE OR REPLACE FUNCTION book_stay(
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

BOOK_STAY = """
CREATE OR REPLACE FUNCTION book_stay(
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

    -- A night already full refuses here, as the INSERT's capacity CHECK would, without
    -- inserting the reservation and its nights only to undo them: most of a hot listing's
    -- contenders are refused, each under the listing's lock (issue 18, contended rounds).
    IF EXISTS (
        SELECT FROM listing_nights n
         WHERE n.listing_id = p_listing AND n.night >= p_start AND n.night < p_end
           AND n.booked + p_quantity > n.units
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'BW006', MESSAGE = 'a night is full';
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
    op.execute(BOOK_STAY)


def downgrade() -> None:
    op.execute(BOOK_STAY_0022)
