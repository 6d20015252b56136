"""A booking's whole life through the API touches the rows of its own listing only: the
property that would keep it on one shard if the tables were distributed by listing
(docs/scaling.md, section 5).

How it is shown, without a Citus at hand:

1. Locks. Another transaction holds every row of listing B: the listing itself (FOR UPDATE
   also blocks the FOR KEY SHARE that a foreign key check takes), its listing_nights,
   reservations, reservation_units, payments, waitlist_entries and outbox rows, and B's
   waitlist advisory lock. Every connection of the app runs with `lock_timeout` = 2 s. The
   whole flow on listing A (availability, createReservation, joinWaitlist, payReservation,
   changeReservationDates with the waitlist offer it causes, cancelReservation) must then
   succeed: any write to, lock of, or foreign key check against a row of B would wait and
   fail. The control: the same kind of booking on B fails while the locks are held and
   succeeds once they are released, so the locks do stop what touches B.
2. Parameters. Plain reads take no row locks, so (1) cannot see them. Every statement the
   app sends on a listing-scoped table during the flow is recorded with its parameters:
   each must name A or one of A's rows (reservation, payment, waitlist entry) and none may
   name B or B's rows. A statement that found rows by another key (a guest, a status, a
   date) across listings would fail this.

Not shown: what the trigger functions read (they run in the database, keyed by the row's
listing_id), and routing as such: a lookup by reservation id alone names a row of A, but
Citus can route it only with listing_id in the key (section 5).
"""

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, make_url

from bookwell.core.db import Database
from bookwell.services.waitlist.waitlist import LOCK_SPACE
from tests.factories import book_over_graphql, make_listing, make_token, make_user
from tests.support.database import admin_execute, plain_url

LISTING_TABLES = re.compile(
    r"\b(listing_nights|reservations|reservation_units|payments|waitlist_entries|outbox)\b"
)
START = date.today() + timedelta(days=30)

AVAILABILITY = """
query($id: ID!, $start: Date!, $end: Date!) {
  availability(listingId: $id, startDate: $start, endDate: $end) { freeUnits }
}"""
PAYLOAD = "{ reservation { id status } errors { code message } }"
CREATE = (
    f"mutation($input: CreateReservationInput!) {{ createReservation(input: $input) {PAYLOAD} }}"
)
PAY = f"""mutation($id: ID!, $key: String!) {{
  payReservation(id: $id, idempotencyKey: $key) {PAYLOAD} }}"""
CHANGE = f"""mutation($input: ChangeReservationDatesInput!) {{
  changeReservationDates(input: $input) {PAYLOAD} }}"""
CANCEL = f"mutation($id: ID!) {{ cancelReservation(id: $id) {PAYLOAD} }}"
JOIN = """mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) { waitlistEntry { id status } errors { code message } } }"""


@pytest.fixture(autouse=True)
async def lock_timeout(server_url: str, database_url: str) -> None:
    """Before the app connects: every session on this database gives up a lock wait at 2 s."""
    name = make_url(database_url).database
    await admin_execute(server_url, f"ALTER DATABASE \"{name}\" SET lock_timeout = '2s'")


async def mutate(client, query: str, token: str, **variables: Any) -> dict[str, Any]:
    answer = await client(query, variables, token=token)
    [payload] = answer.data.values()
    assert payload["errors"] == [], payload
    return payload


def stay(offset: int, nights: int = 2) -> dict[str, Any]:
    return {"startDate": (START + timedelta(days=offset)).isoformat(), "nights": nights}


async def life_of_a_booking(client, listing: uuid.UUID, first: str, second: str) -> None:
    """Everything a guest and the waitlist do with one listing, through the API."""
    answer = await client(
        AVAILABILITY,
        {"id": str(listing), "start": stay(0)["startDate"], "end": stay(2)["startDate"]},
    )
    assert answer.data["availability"]["freeUnits"] == 1
    booked = (await book_over_graphql(client, first, listing, START, fields="id status"))["id"]
    joined = {"input": {"listingId": str(listing), **stay(0)}}
    await mutate(client, JOIN, second, **joined)
    paid = await mutate(client, PAY, first, id=booked, key=f"pay-{booked}")
    assert paid["reservation"]["status"] == "CONFIRMED"
    # Frees the first nights: the waitlist is offered them (a hold for the second guest).
    await mutate(client, CHANGE, first, input={"id": booked, **stay(10)})
    cancelled = await mutate(client, CANCEL, first, id=booked)
    assert cancelled["reservation"]["status"] == "CANCELLED"


async def row_ids(db: Database, listing: uuid.UUID) -> set[str]:
    """The listing and every row of it in the listing-scoped tables."""
    async with db.read() as session:
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        rows = await driver.fetch(
            """
            SELECT id::text FROM reservations WHERE listing_id = $1
            UNION ALL SELECT p.id::text FROM payments p
              JOIN reservations r ON r.id = p.reservation_id WHERE r.listing_id = $1
            UNION ALL SELECT id::text FROM waitlist_entries WHERE listing_id = $1
            """,
            listing,
        )
    return {str(listing), *(row[0] for row in rows)}


LOCK_ALL_OF_B = [
    "SELECT FROM listings WHERE id = $1 FOR UPDATE",
    "SELECT FROM listing_nights WHERE listing_id = $1 FOR UPDATE",
    "SELECT FROM reservations WHERE listing_id = $1 FOR UPDATE",
    "SELECT FROM reservation_units WHERE listing_id = $1 FOR UPDATE",
    "SELECT FROM payments p JOIN reservations r ON r.id = p.reservation_id"
    " WHERE r.listing_id = $1 FOR UPDATE OF p",
    "SELECT FROM waitlist_entries WHERE listing_id = $1 FOR UPDATE",
    "SELECT FROM outbox o WHERE o.reservation_id IN (SELECT id FROM reservations"
    " WHERE listing_id = $1) OR o.waitlist_entry_id IN (SELECT id FROM waitlist_entries"
    " WHERE listing_id = $1) FOR UPDATE OF o",
    f"SELECT pg_advisory_xact_lock({LOCK_SPACE}, hashtext($1::uuid::text))",
]


@asynccontextmanager
async def holding(database_url: str, listing: uuid.UUID) -> AsyncIterator[int]:
    """Hold every row of `listing` until the block ends; yields how many rows are locked."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL lock_timeout = 0")
            locked = 0
            for statement in LOCK_ALL_OF_B:
                locked += len(await connection.fetch(statement, listing))
            yield locked
    finally:
        await connection.close()


def _flat(values) -> Iterator[object]:
    """Parameters, arrays (`= ANY($1)`) spread into their items."""
    for value in values:
        if isinstance(value, list | tuple):
            yield from value
        else:
            yield value


@contextmanager
def listing_statements(app) -> Iterator[list[tuple[str, set[str]]]]:
    """Statements on listing-scoped tables the app sends in the block, with their parameters."""
    engine = app.db.engine.sync_engine
    seen: list[tuple[str, set[str]]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if LISTING_TABLES.search(statement):
            rows = parameters if executemany else [parameters]
            values = {str(value) for row in rows for value in _flat(row or ())}
            seen.append((statement, values))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_booking_touches_only_its_listing(app, client, db, database_url, host) -> None:
    a = await make_listing(db, host, units=1, title="A")
    b = await make_listing(db, host, units=1, title="B")
    tokens = [await make_token(db, await make_user(db)) for _ in range(4)]
    # B gets rows in every table first: a paid stay, a waitlist entry, an offer, outbox events.
    await life_of_a_booking(client, b, tokens[2], tokens[3])
    b_rows = await row_ids(db, b)

    async with holding(database_url, b) as locked:
        assert locked >= 8  # the listing, nights, reservations, payment, entry, outbox, lock
        with listing_statements(app) as statements:
            await life_of_a_booking(client, a, tokens[0], tokens[1])

        # The control: booking on B waits for the locks and gives up.
        blocked = await client(
            CREATE, {"input": {"listingId": str(b), **stay(20)}}, token=tokens[2]
        )
        assert blocked.errors or blocked.body["data"]["createReservation"]["errors"]
    # And goes through once they are released.
    assert await book_over_graphql(
        client, tokens[2], b, START + timedelta(days=20), fields="id status"
    )

    a_rows = await row_ids(db, a)
    assert statements, "nothing recorded"
    for statement, values in statements:
        assert not values & b_rows, statement
        assert values & a_rows, statement
