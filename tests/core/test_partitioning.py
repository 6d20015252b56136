"""listing_nights partitioned by year (migration 0008): the migration both ways on a scratch
database with real data, the capacity guarantee in every partition, the function that makes
partitions ahead (and empties DEFAULT of their rows), its scheduler job, and pruning of the
availability query."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest
from alembic import command
from sqlalchemy import text

from bookwell.core import migrate
from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.services.listings.availability import free_units
from bookwell.services.listings.stays import Stay
from bookwell.services.payments import BuiltinProvider
from bookwell.workers.scheduler import tick
from tests.factories import make_listing
from tests.support.database import admin_execute, plain_url, with_database

HOST = uuid.UUID(int=1)
GUEST = uuid.UUID(int=2)
A = uuid.UUID(int=0xA)  # 2 units
B = uuid.UUID(int=0xB)  # 1 unit
CAPACITY = "ck_listing_nights_capacity"


@pytest.fixture
async def scratch(server_url: str) -> AsyncIterator[str]:
    """An empty database of its own: the migrations run on it from the start."""
    name = f"bookwell_part_{uuid.uuid4().hex[:12]}"
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    yield with_database(server_url, name)
    await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def migrate_to(url: str, revision: str) -> None:
    # Alembic's env.py runs its own event loop: run it in a thread.
    await asyncio.to_thread(migrate.upgrade, url, revision)


async def downgrade_to(url: str, revision: str) -> None:
    await asyncio.to_thread(command.downgrade, migrate.alembic_config(url), revision)


async def this_year(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT extract(year FROM current_date)::int")


# Not tests/factories.py's book(): these tests write the table straight on a scratch database
# (migrated down and up again, no app and no services), so that the trigger alone takes the
# nights in whichever partition they fall.
async def book(
    conn: asyncpg.Connection, listing: uuid.UUID, start: date, end: date, quantity: int = 1
) -> uuid.UUID:
    """A holding reservation written straight into the table: the trigger takes the nights."""
    reservation = uuid.uuid4()
    await conn.execute(
        "INSERT INTO reservations (id, listing_id, guest_id, guest_name, start_date, end_date,"
        " quantity, status, total_amount, currency)"
        " VALUES ($1, $2, $3, 'Gus', $4, $5, $6, 'CONFIRMED', 0, 'EUR')",
        reservation,
        listing,
        GUEST,
        start,
        end,
        quantity,
    )
    return reservation


async def refused(conn: asyncpg.Connection, *args) -> bool:
    """Whether the capacity CHECK refuses this booking (nothing of it is kept)."""
    try:
        async with conn.transaction():
            await book(conn, *args)
    except asyncpg.CheckViolationError as error:
        assert error.constraint_name == CAPACITY
        return True
    return False


async def load(conn: asyncpg.Connection, year: int) -> None:
    """Two listings, stays from three years ago to five years on, two crossing a new year."""
    await conn.execute(
        "INSERT INTO users (id, email, name, role) VALUES"
        " ($1, 'host@example.com', 'Hannah', 'HOST'), ($2, 'gus@example.com', 'Gus', 'GUEST')",
        HOST,
        GUEST,
    )
    for listing, units in ((A, 2), (B, 1)):
        await conn.execute(
            "INSERT INTO listings (id, owner_id, kind, title, description, timezone,"
            " nightly_price, currency, units) VALUES ($1, $2, 'STAY', 't', 'd', 'UTC', 100,"
            " 'EUR', $3)",
            listing,
            HOST,
            units,
        )
    await book(conn, A, date(year - 3, 5, 1), date(year - 3, 5, 3))
    await book(conn, A, date(year - 1, 12, 30), date(year, 1, 2))
    await book(conn, A, date(year, 6, 10), date(year, 6, 15), 2)
    await book(conn, B, date(year + 1, 12, 28), date(year + 2, 1, 3))
    await book(conn, B, date(year + 5, 3, 1), date(year + 5, 3, 4))  # beyond: DEFAULT
    cancelled = await book(conn, A, date(year, 7, 1), date(year, 7, 3))
    await conn.execute("UPDATE reservations SET status = 'CANCELLED' WHERE id = $1", cancelled)


NIGHTS = "SELECT listing_id, night, units, booked FROM listing_nights ORDER BY 1, 2"
WHERE_ROWS_ARE = "SELECT tableoid::regclass::text AS part, night FROM listing_nights ORDER BY night"


async def nights(conn: asyncpg.Connection) -> list[tuple]:
    return [tuple(row) for row in await conn.fetch(NIGHTS)]


async def partitions_of(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        "SELECT inhrelid::regclass::text FROM pg_inherits"
        " WHERE inhparent = 'listing_nights'::regclass"
    )
    return {row[0] for row in rows}


async def is_partitioned(conn: asyncpg.Connection) -> bool:
    strategy = await conn.fetchval(
        "SELECT partstrat::text FROM pg_partitioned_table"
        " WHERE partrelid = 'listing_nights'::regclass"
    )
    return strategy == "r"


async def constraints(conn: asyncpg.Connection) -> set[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'listing_nights'::regclass"
    )
    return {(row[0], row[1]) for row in rows}


async def booked(conn: asyncpg.Connection, listing: uuid.UUID, *days: date) -> list[tuple]:
    rows = await conn.fetch(
        "SELECT tableoid::regclass::text, night, booked FROM listing_nights"
        " WHERE listing_id = $1 AND night = ANY($2::date[]) ORDER BY night",
        listing,
        list(days),
    )
    return [tuple(row) for row in rows]


async def test_migration_partitions_listing_nights_and_back(scratch: str) -> None:
    await migrate_to(scratch, "0007")
    conn = await asyncpg.connect(plain_url(scratch))
    try:
        year = await this_year(conn)
        await load(conn, year)
        before = await nights(conn)
        plain_constraints = await constraints(conn)
        assert len(before) == 2 + 3 + 5 + 6 + 3 + 2  # the cancelled nights, at 0

        await migrate_to(scratch, "head")
        assert await nights(conn) == before
        assert await is_partitioned(conn)
        years = range(year - 3, year + 3)  # the earliest night's year .. two years on
        expected = {f"listing_nights_y{y}" for y in years} | {"listing_nights_default"}
        assert await partitions_of(conn) == expected
        assert await constraints(conn) == plain_constraints  # PK, CHECK, FK, same names
        for part, night in await conn.fetch(WHERE_ROWS_ARE):
            in_range = night.year <= year + 2
            assert part == (
                f"listing_nights_y{night.year}" if in_range else "listing_nights_default"
            )

        # The CHECK still refuses through the trigger, in every partition and in DEFAULT.
        for y in [*years, year + 6]:
            night = date(y, 7, 20)
            await book(conn, B, night, date(y, 7, 21))
            assert await refused(conn, B, night, date(y, 7, 21)), y

        # A stay over the new year takes its nights in two partitions, cancelling frees them.
        eve, new_year = date(year, 12, 30), date(year + 1, 1, 2)
        days = (date(year, 12, 30), date(year, 12, 31), date(year + 1, 1, 1))
        first = await book(conn, A, eve, new_year)
        second = await book(conn, A, eve, new_year)
        this, after = f"listing_nights_y{year}", f"listing_nights_y{year + 1}"
        taken = [(this, days[0], 2), (this, days[1], 2), (after, days[2], 2)]
        assert await booked(conn, A, *days) == taken
        assert await refused(conn, A, eve, new_year)
        assert await booked(conn, A, *days) == taken
        await conn.execute("UPDATE reservations SET status = 'CANCELLED' WHERE id = $1", first)
        assert await booked(conn, A, *days) == [(p, d, 1) for p, d, _ in taken]
        # Moving a stay wholly into the next year: one UPDATE, net per night.
        await conn.execute(
            "UPDATE reservations SET start_date = $2, end_date = $3 WHERE id = $1",
            second,
            date(year + 1, 1, 1),
            date(year + 1, 1, 3),
        )
        moved = await booked(conn, A, *days, date(year + 1, 1, 2))
        assert [row[2] for row in moved] == [0, 0, 1, 1]

        partitioned = await nights(conn)
        await downgrade_to(scratch, "0007")
        assert not await is_partitioned(conn)
        assert (
            await conn.fetchval(
                "SELECT relkind::text FROM pg_class WHERE relname = 'listing_nights'"
            )
            == "r"
        )
        assert await nights(conn) == partitioned
        assert await constraints(conn) == plain_constraints
        functions = await conn.fetchval(
            "SELECT count(*) FROM pg_proc WHERE proname LIKE 'bookwell_%night_partition%'"
        )
        assert functions == 0
        assert await refused(conn, A, date(year, 6, 11), date(year, 6, 12))  # the full stay

        await migrate_to(scratch, "head")  # and up again
        assert await nights(conn) == partitioned
        assert await refused(conn, A, date(year, 6, 11), date(year, 6, 12))
    finally:
        await conn.close()


async def test_ensure_moves_a_new_years_rows_out_of_default(scratch: str) -> None:
    await migrate_to(scratch, "0007")
    conn = await asyncpg.connect(plain_url(scratch))
    try:
        year = await this_year(conn)
        await load(conn, year)
        await migrate_to(scratch, "head")
        before = await nights(conn)
        far = [date(year + 5, 3, d) for d in (1, 2, 3)]
        default = "listing_nights_default"
        assert await booked(conn, B, *far) == [(default, night, 1) for night in far]

        assert await conn.fetchval("SELECT bookwell_ensure_night_partitions(5)") == 3
        assert {f"listing_nights_y{y}" for y in range(year + 3, year + 6)} <= await partitions_of(
            conn
        )
        assert await booked(conn, B, *far) == [(f"listing_nights_y{year + 5}", n, 1) for n in far]
        assert await conn.fetchval(f"SELECT count(*) FROM {default}") == 0
        assert await nights(conn) == before
        assert await refused(conn, B, far[1], far[2])  # the moved rows still count
        assert await conn.fetchval("SELECT bookwell_ensure_night_partitions(5)") == 0
        # DEFAULT is back in place: a night past every partition still books.
        await book(conn, A, date(year + 9, 1, 1), date(year + 9, 1, 2))
        assert (await booked(conn, A, date(year + 9, 1, 1)))[0][0] == default
    finally:
        await conn.close()


async def test_scheduler_makes_a_missing_partition(
    db: Database, settings: Settings, database_url: str
) -> None:
    async with db.transaction() as session:
        year = (await session.execute(text("SELECT extract(year FROM current_date)::int"))).scalar()
        name = f"listing_nights_y{year + 2}"
        await session.execute(text(f"ALTER TABLE listing_nights DETACH PARTITION {name}"))
        await session.execute(text(f"DROP TABLE {name}"))

    report = await tick(db, settings, BuiltinProvider())

    assert report.failed == ()
    async with db.read() as session:
        made = await session.execute(text("SELECT to_regclass(:name)::text"), {"name": name})
        assert made.scalar() == name


@pytest.mark.parametrize(
    "first, last, years",
    [((1, 3, 1), (1, 3, 5), (1,)), ((0, 12, 30), (1, 1, 3), (0, 1))],
    ids=["one-year", "over-new-year"],
)
async def test_availability_reads_only_the_partitions_of_its_nights(
    db: Database, host, first, last, years
) -> None:
    """bookwell_free_units (migration 0030) keeps one generic plan: partitions are pruned when
    it runs, which its transaction's scan counts show (EXPLAIN sees only the function)."""
    listing = await make_listing(db, host)
    async with db.read() as session:
        year = (await session.execute(text("SELECT extract(year FROM current_date)::int"))).scalar()
    stay = Stay(date(year + first[0], *first[1:]), date(year + last[0], *last[1:]))

    async with db.read() as session:
        for _ in range(3):  # the plan kept after the first run too
            found = await free_units(session=session, listing_ids=[listing], stay=stay)
            assert found[listing][0] == 1
        counted = await session.execute(
            text(
                "SELECT relname FROM pg_stat_xact_user_tables"
                " WHERE relname LIKE 'listing_nights%' AND seq_scan + coalesce(idx_scan, 0) > 0"
            )
        )
        scanned = set(counted.scalars())
    assert scanned == {f"listing_nights_y{year + y}" for y in years}
