"""A listing whose timezone PostgreSQL does not know ("localtime" is in Python's
available_timezones(), not in pg_timezone_names) used to break public search for everyone:
`timezone(listings.timezone, now())` raised for that row inside a query over all rows.
Only names both Python and PostgreSQL know are accepted, and the database refuses any other
at write time (migration 0011), so no row can poison a query over others."""

import contextlib
import uuid
from datetime import date, timedelta
from zoneinfo import available_timezones

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bookwell.core.errors import DomainError
from bookwell.models import Role
from tests.core.test_partitioning import migrate_to, scratch  # noqa: F401  (a fixture)
from tests.factories import make_listing, make_token, make_user
from tests.support.database import plain_url

CREATE = """mutation($input: CreateListingInput!) {
  createListing(input: $input) { listing { id timezone } errors { code field message } }
}"""
SEARCH = """query($start: Date!, $filter: ListingFilter) {
  searchAvailability(startDate: $start, nights: 2, filter: $filter) {
    edges { node { id city } }
  }
}"""
START = str(date.today() + timedelta(days=20))
# Python knows them (zoneinfo, from the system or tzdata); PostgreSQL does not, or not all:
# which, depends on the server (PostgreSQL 18's own tzdata has no "localtime"; a server built
# on the system's zoneinfo may), so each test asks the server under test.
NOT_BOTH = ["localtime", "posixrules", "Factory ", "Europe/../UTC", "EST5EDT,M3.2.0,M11.1.0"]


async def both_know(db, name: str) -> bool:
    """Python (zoneinfo) and the PostgreSQL under test: a valid zone on this server."""
    if name not in available_timezones():
        return False
    async with db.read() as session:
        found = await session.execute(
            text("SELECT EXISTS (SELECT FROM pg_timezone_names WHERE name = :name)"),
            {"name": name},
        )
        return bool(found.scalar_one())


@pytest.mark.parametrize("name", [*NOT_BOTH, "UTC+5", "europe/paris", "Mars/Olympus"])
async def test_a_timezone_postgresql_does_not_know_is_refused_as_bad_input(client, db, name):
    host = await make_user(db, Role.HOST)
    token = await make_token(db, host)
    listing = {"title": "Loft", "nightlyPrice": "80", "city": "Lyon", "timezone": name}
    answer = await client(CREATE, {"input": listing}, token=token)
    payload = answer.data["createListing"]
    if await both_know(db, name):  # both know it here: a valid zone on this server
        assert payload["errors"] == [] and payload["listing"]["timezone"] == name
    else:
        assert payload["listing"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["input", "timezone"])
        ]
    search = await client(SEARCH, {"start": START, "filter": {"city": "Lyon"}})
    assert search.errors == [] and search.status == 200


async def test_a_known_timezone_is_accepted(client, db):
    host = await make_user(db, Role.HOST)
    token = await make_token(db, host)
    for name in ("Europe/Paris", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"):
        listing = {"title": "Loft", "nightlyPrice": "80", "timezone": name}
        answer = await client(CREATE, {"input": listing}, token=token)
        assert answer.data["createListing"]["listing"]["timezone"] == name


@pytest.mark.parametrize("name", ["localtime", "UTC+5", "nowhere"])
async def test_the_database_refuses_an_unknown_timezone_whoever_writes_it(db, name):
    """Not only the API: a script, the admin, a future mutation writing the column."""
    if await both_know(db, name):
        pytest.skip(f"this PostgreSQL knows {name!r}: a valid zone here")
    host = await make_user(db, Role.HOST)
    listing = await make_listing(db, host, city="Lyon")
    with pytest.raises(DBAPIError, match="time zone"):
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE listings SET timezone = :name WHERE id = :id"),
                {"name": name, "id": listing},
            )


async def test_search_for_everyone_survives_any_timezone_a_listing_could_get(client, db):
    host = await make_user(db, Role.HOST)
    good = await make_listing(db, host, city="Lyon", timezone="Europe/Paris")
    for name in NOT_BOTH:
        with contextlib.suppress(DomainError):
            await make_listing(db, host, city="Lyon", timezone=name)
    valid_here = [name for name in NOT_BOTH if await both_know(db, name)]
    for search_filter in (None, {"city": "Lyon"}):
        answer = await client(SEARCH, {"start": START, "filter": search_filter})
        assert answer.status == 200 and answer.errors == [], answer.body
        assert len(answer.data["searchAvailability"]["edges"]) == 1 + len(valid_here)
    assert good


async def test_the_migration_moves_listings_with_an_unknown_timezone_to_utc(scratch):  # noqa: F811
    await migrate_to(scratch, "0008")
    conn = await asyncpg.connect(plain_url(scratch))
    try:
        host = uuid.uuid4()
        await conn.execute(
            "INSERT INTO users (id, email, name, role) VALUES ($1, 'h@example.com', 'H', 'HOST')",
            host,
        )
        zones = {uuid.uuid4(): "Mars/Olympus", uuid.uuid4(): "Europe/Paris"}
        for listing, zone in zones.items():
            await conn.execute(
                "INSERT INTO listings (id, owner_id, kind, title, description, timezone,"
                " nightly_price, currency, units) VALUES ($1, $2, 'STAY', 't', 'd', $3, 100,"
                " 'EUR', 1)",
                listing,
                host,
                zone,
            )
        await migrate_to(scratch, "head")
        now = dict(await conn.fetch("SELECT id, timezone FROM listings"))
        assert sorted(now.values()) == ["Europe/Paris", "UTC"]
        await conn.fetchval("SELECT count(*) FROM listings WHERE timezone(timezone, now()) > now()")
    finally:
        await conn.close()
