"""The differential test's data, made once per test: the demo data (`bookwell serve`'s first
start: hosts, guests, listings of every kind in five timezones, stays and slot bookings paid,
unpaid and cancelled, stays that happened and their reviews, a no-show, tables, a booking
without an account) and, beside it, rows whose text JSON must escape, a named guest, an
archived listing and a waitlist entry. Ids, cursors and dates of these rows are what the
generated documents mostly ask for (documents.py)."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text

from bookwell.cli.seed import GUESTS, seed
from bookwell.core.db import Database
from bookwell.core.ids import global_id
from bookwell.core.pagination import encode_cursor
from bookwell.models import Role
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.archive import set_archived
from bookwell.services.listings.stays import today_in
from bookwell.services.reviews.reviews import create_review
from bookwell.services.waitlist.requests import NewWaitlistEntry
from bookwell.services.waitlist.waitlist import join_waitlist
from tests.factories import book, make_listing, make_token, make_user

# Text that PostgreSQL and orjson must both escape the same way: quotes, backslashes, a
# control character, a line and a paragraph separator, and non-ASCII.
AWKWARD = 'Zoë "Q" \\ O\'Neil\u2028\u2029✓\x01'
DEMO_RESERVATIONS = 40
CALLERS = ("anonymous", "guest", "host", "admin")


@dataclass(frozen=True)
class Seeded:
    tokens: dict[str, str | None]  # by caller
    ids: dict[str, list[str]]  # by type name: global ids of every seeded row the API names
    uuids: dict[str, list[str]]  # the same rows' database ids
    cursors: list[str]
    dates: list[date]
    cities: list[str]


async def _demo_user(db: Database, email: str, role: Role) -> Principal:
    async with db.read() as session:
        user_id = await accounts.user_id_by_email(session=session, email=email)
    assert user_id is not None, email
    return Principal(user_id, role)


async def _awkward_rows(db: Database, guest: Principal) -> None:
    """A host and listing named with AWKWARD, booked full by another guest (a named stay),
    and `guest` waiting for those nights; an archived listing; a completed, reviewed stay."""
    host = await make_user(db, Role.HOST, AWKWARD)
    listing = await make_listing(
        db,
        host,
        title=AWKWARD,
        description="line\nbreak\ttab\x01 and " + AWKWARD,
        city="Köln",
        country="DE",
        timezone="Europe/Berlin",
        nightly_price="1234567.5",
        units=1,
        max_guests=None,
    )
    other = await make_user(db, Role.GUEST, 'Ölaf "Other" Guest')
    start = today_in("Europe/Berlin") + timedelta(days=12)
    await book(db, other, listing, start, nights=3, paid=True)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET guest_name = :name WHERE listing_id = :id"),
            {"name": AWKWARD, "id": listing},
        )
        entry = NewWaitlistEntry(listing, start_date=start, nights=2)
        await join_waitlist(session=session, principal=guest, data=entry)
    past = await book(db, guest, listing, start + timedelta(days=20), nights=1, paid=True)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'COMPLETED' WHERE id = :id"), {"id": past.id}
        )
        await create_review(
            session=session, author=guest, reservation_id=past.id, rating=4, comment=AWKWARD
        )
    await _terms(db, listing)
    archived = await make_listing(db, host, title="Archived \\ listing", units=2)
    async with db.transaction() as session:
        await set_archived(session=session, principal=host, listing_id=archived, archived=True)


async def _terms(db: Database, listing: uuid.UUID) -> None:
    """Issue 19's terms written as SQL would not write them alike: AWKWARD names, a time
    with a fraction, rates with trailing zeros, weekday arrays, a season without a name.
    Set after the bookings, which they would refuse."""
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE listings SET address_line1 = :awkward, address_line2 = '',"
                " opens_at = '07:05:00.5', closes_at = '01:00', auto_no_show_after_hours = 720"
                " WHERE id = :id"
            ),
            {"id": listing, "awkward": AWKWARD},
        )
        await session.execute(
            text(
                "INSERT INTO listing_booking_rules (id, listing_id, name, start_date, end_date,"
                " min_nights, booking_window_days, arrival_weekdays, departure_weekdays) VALUES"
                " (gen_random_uuid(), :id, NULL, NULL, NULL, NULL, 3660, '{7,1}', NULL),"
                " (gen_random_uuid(), :id, :awkward, '2030-06-01', '2030-07-01', 3, NULL, NULL,"
                " '{}'), (gen_random_uuid(), :id, NULL, '2031-01-01', '2031-02-01', 1, 10,"
                " NULL, NULL)"
            ),
            {"id": listing, "awkward": AWKWARD},
        )
        await session.execute(
            text(
                "INSERT INTO listing_taxes (id, listing_id, position, name, kind, rate, amount,"
                " inclusive) VALUES (gen_random_uuid(), :id, 0, :awkward, 'PERCENT', 19.6000,"
                " NULL, true), (gen_random_uuid(), :id, 1, 'Zero', 'PER_PERSON_NIGHT', NULL,"
                " 0, false), (gen_random_uuid(), :id, 2, 'Tiny', 'PERCENT', 0.0001, NULL, false)"
            ),
            {"id": listing, "awkward": AWKWARD},
        )


async def _named_rows(db: Database) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(global ids, database ids) by type name of the rows the API names by id."""
    typed = {
        "Listing": "SELECT id FROM listings ORDER BY id",
        "Reservation": "SELECT id FROM reservations ORDER BY id",
        "User": "SELECT id FROM users ORDER BY id",
        "Review": "SELECT id FROM reviews ORDER BY id",
        "WaitlistEntry": "SELECT id FROM waitlist_entries ORDER BY id",
        "Payment": "SELECT id FROM payments ORDER BY id",
        "ListingUnit": "SELECT id FROM listing_units ORDER BY id",
        "ListingPhoto": "SELECT id FROM listing_photos ORDER BY id",
        "PriceRule": "SELECT id FROM listing_price_rules ORDER BY id",
    }
    global_ids: dict[str, list[str]] = {}
    database_ids: dict[str, list[str]] = {}
    async with db.read() as session:
        for type_name, query in typed.items():
            rows = [row_id for (row_id,) in await session.execute(text(query))]
            global_ids[type_name] = [global_id(type_name, row_id) for row_id in rows]
            database_ids[type_name] = [str(row_id) for row_id in rows]
    return global_ids, database_ids


async def make_data(db: Database) -> Seeded:
    await seed(db, reservations_count=DEMO_RESERVATIONS, rng_seed=7)
    guest = await _demo_user(db, GUESTS[0][0], Role.GUEST)
    host = await _demo_user(db, "demo@bookwell.dev", Role.HOST)
    admin = await make_user(db, Role.ADMIN, "Ada Admin")
    await _awkward_rows(db, guest)
    global_ids, database_ids = await _named_rows(db)
    tokens: dict[str, str | None] = {"anonymous": None}
    for caller, principal in (("guest", guest), ("host", host), ("admin", admin)):
        tokens[caller] = await make_token(db, principal)
    today = today_in("UTC")
    dates = [today + timedelta(days=d) for d in (-400, -3, 0, 1, 3, 7, 12, 14, 30, 60, 120)]
    every_id = [row_id for rows in database_ids.values() for row_id in rows]
    cursors = [encode_cursor(uuid.UUID(row_id)) for row_id in every_id[::7]]
    cities = ["Paris", "Tokyo", "Köln", "New York", "paris", "Nowhere", ""]
    return Seeded(tokens, global_ids, database_ids, cursors, dates, cities)
