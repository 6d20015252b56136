"""A stay booked in one statement, in autocommit: one round trip (issue 18).

The listing's terms come from this process's cache (services/listings/terms_cache.py); the
pure checks of the request against them run here, before any round trip
(`check_stay_terms`); the price is made by pricing.quote, as `quote` makes it; then
`book_stay` (migrations 0022, 0030) claims the idempotency key, locks the listing, counts
its unpaid holds, looks for overdue holds in the way and for a night already full, inserts
the reservation (whose triggers keep capacity: a full night fails its CHECK) and the outbox
row, all or nothing, and answers the reservation. It refuses a price made from terms the
listing no longer has.

`book_in_one_statement` answers None when the ordinary transaction must decide instead
(services/booking/reservations.py create_reservation): a listing not cached that does not
exist, a request its checks refuse (the ordinary path answers the same error, every
mistake at once and in its order), overdue holds to expire first (issue 16, item 4), terms
that changed twice under it. Those are rare; the common booking, made or refused
UNAVAILABLE or HOLD_LIMIT, is one round trip.
"""

import uuid
from typing import NoReturn

import asyncpg
import orjson

from bookwell.core.db import Database
from bookwell.core.errors import DomainError, ErrorCode, invalid
from bookwell.core.idle_connections import connection_broken
from bookwell.core.request_scope import current_request_id
from bookwell.models import CAPACITY_CONSTRAINT, ListingKind, ReservationStatus, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.full_nights import FullNightsMemo, Request, guests_named
from bookwell.services.booking.holds import (
    check_guest_name,
    check_hold_size,
    hold_count_refusal,
    unavailable,
)
from bookwell.services.booking.records import RESERVATION_COLUMNS, ReservationRecord
from bookwell.services.listings import pricing
from bookwell.services.listings.stays import Stay, check_not_past
from bookwell.services.listings.terms_cache import StayTerms, TermsCache

STALE_TERMS = "BW001"
KEY_REUSED = "BW002"
HOLD_LIMIT = "BW003"
OVERDUE_IN_THE_WAY = "BW004"
KEY_WITHOUT_STAY = "BW005"
NIGHT_FULL = "BW006"  # migration 0030: before the INSERT, as its capacity CHECK would refuse

# Sent to the driver as it is (as the compiled reads are, graphql/engine/compiler/run.py):
# SQLAlchemy's statement compilation, parameter and result processing cost more than the
# round trip's own client work. The row becomes its record in `_record`.
_BOOK = (
    f"SELECT {', '.join(column.name for column in RESERVATION_COLUMNS)} FROM book_stay("
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::text, $13::bytea, $14::text)"
)
_STATUS = RESERVATION_COLUMNS.index(
    next(column for column in RESERVATION_COLUMNS if column.name == "status")
)


class _Undecided(Exception):
    """The ordinary transaction decides this booking."""


def check_stay_terms(found: StayTerms, booked: Stay, quantity: int, nights_field: str) -> None:
    """What the listing's terms say of the request, with no database: every pure rule of a
    booking (its kind, its today, the host's booking rules, its units, one hold's size).
    Raises the first refusal; the ordinary path then answers it as it would."""
    if found.kind is not ListingKind.STAY:
        raise invalid("listingId", f"A {found.kind.value} listing books time slots: use bookSlot.")
    if found.terms.archived:
        raise pricing.archived_error()
    check_not_past(booked, found.timezone)
    pricing.refuse_if_rules_broken(found.terms, booked)
    if not 1 <= quantity <= found.units:
        raise invalid("quantity", f"quantity must be between 1 and {found.units} (the units).")
    check_hold_size(
        nights=booked.nights,
        quantity=quantity,
        max_nights=found.max_hold_nights,
        max_units=found.max_hold_units,
        nights_field=nights_field,
    )


async def book_in_one_statement(
    *,
    db: Database,
    cache: TermsCache,
    guest: Principal,
    listing_id: uuid.UUID,
    booked: Stay,
    quantity: int,
    guest_name: str | None,
    nights_field: str,
    idempotency_key: str | None,
    fingerprint: bytes | None,
    full_nights: FullNightsMemo,
    entered: int,
) -> ReservationRecord | None:
    """The PENDING hold, or a refusal (UNAVAILABLE, HOLD_LIMIT, IDEMPOTENCY_KEY_REUSED), or
    the reservation made before under the key; None: the ordinary path decides. The
    statement goes to the pool's asyncpg connection itself (`Database.raw_read`), unless
    it has answered this request already (`full_nights`; `entered`: the request's ticket,
    taken before it waited for the listing's turn)."""
    for _attempt in range(2):
        found = cache.get(listing_id)
        fresh = found is None
        if found is None:
            async with db.raw_read() as driver:
                found = await cache.load(driver, listing_id)
            if found is None:
                return None  # no such listing: NOT_FOUND as the ordinary path answers it
        try:
            check_stay_terms(found, booked, quantity, nights_field)
        except DomainError:
            if not fresh:
                cache.forget(listing_id)  # a refusal is only trusted from fresh terms
                continue
            return None
        asked = Request(
            entered, listing_id, booked.start, booked.end, quantity, found.version, guest.user_id
        )
        if idempotency_key is None and full_nights.refuses(asked):
            raise unavailable(quantity, booked)
        priced = pricing.quote(found.terms, booked, quantity)
        arguments = (
            new_id(),
            found.listing_id,
            guest.user_id,
            check_guest_name(guest_name),
            booked.start,
            booked.end,
            quantity,
            priced.total,
            found.terms.currency,
            # The pool's connections take jsonb as text (SQLAlchemy's codec for asyncpg).
            orjson.dumps(priced.snapshot).decode(),
            found.version,
            idempotency_key,
            fingerprint,
            current_request_id(),
        )
        # raw_read: no SQLAlchemy Connection made and reset around the statement, a kept
        # idle connection taken without the pool. book_stay's refusals are PostgreSQL's own
        # errors, which leave the connection ready: they are taken out of the block so it is
        # kept for the next booking; any other error reaches raw_read, which invalidates a
        # connection it may have left unusable (core/idle_connections.connection_broken).
        sent = full_nights.ticket()
        async with db.raw_read() as driver:
            answered = await _answer(driver, arguments)
        try:
            if isinstance(answered, asyncpg.PostgresError):
                if answered.sqlstate == NIGHT_FULL:
                    at_cap = guests_named(getattr(answered, "detail", None))
                    full_nights.remember(asked, sent, at_cap)
                _refuse(answered, quantity, booked)
            if answered is None:
                return None  # a replay whose reservation is gone
            return _record(answered)
        except _StaleTerms:
            cache.forget(listing_id)
        except _Undecided:
            return None
    return None


async def _answer(
    driver: asyncpg.Connection, arguments: tuple[object, ...]
) -> asyncpg.Record | asyncpg.PostgresError | None:
    """book_stay's row, or the error PostgreSQL answered it with when that leaves the
    connection as ready as an answer does."""
    try:
        return await driver.fetchrow(_BOOK, *arguments)
    except asyncpg.PostgresError as error:
        if connection_broken(error):
            raise
        return error


def _record(row: asyncpg.Record) -> ReservationRecord:
    """The record as SQLAlchemy's result processing made it: the status as its enum (the
    driver gives every other column its Python type, the snapshot decoded by the pool's
    jsonb codec)."""
    values = list(row)
    values[_STATUS] = ReservationStatus(values[_STATUS])
    return ReservationRecord(*values)


class _StaleTerms(Exception):
    pass


def _refuse(error: asyncpg.PostgresError, quantity: int, booked: Stay) -> NoReturn:
    """What book_stay's error means for the guest (its refusals are raised, so the
    statement leaves nothing behind); anything else is raised as it came."""
    code = error.sqlstate
    if code == STALE_TERMS:
        raise _StaleTerms from None
    if code in (OVERDUE_IN_THE_WAY, KEY_WITHOUT_STAY):
        raise _Undecided from None
    if code == KEY_REUSED:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used with a different input.",
            "idempotencyKey",
        ) from None
    if code == HOLD_LIMIT:
        whose = getattr(error, "message", "") or ""
        count = int(getattr(error, "detail", None) or 0)
        raise hold_count_refusal(whose, count) from None
    if code == NIGHT_FULL or CAPACITY_CONSTRAINT in str(error):
        raise unavailable(quantity, booked) from None
    raise error
