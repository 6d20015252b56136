"""Issue 16, in-process against the test PostgreSQL: a busy pool, a held lock and a database
that is not there answer 503 SERVICE_UNAVAILABLE with Retry-After and the request id, in
JSON, quickly, and are counted in /metrics; readiness stays up while the pool is full."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from asyncpg.exceptions._base import InternalClientError
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.core.unavailable import unavailable_reason
from tests.factories import (
    MANY_HOLDS,
    book_over_graphql,
    create_reservation_mutation,
    in_days,
    make_listing,
)
from tests.support.database import plain_url
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import Started, started

LISTINGS = "{ listings(first: 1) { edges { node { id } } } }"
NOWHERE_DATABASE = "postgresql://postgres@127.0.0.1:1/nowhere"
# Far above the timeouts the tests set (well under a second): a bound, not a timing goal.
BOUND_SECONDS = 10


@asynccontextmanager
async def serving(
    settings: Settings, **changes: object
) -> AsyncIterator[tuple[Started, GraphQLClient]]:
    application = create_app(settings.model_copy(update=changes))
    async with started(application) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield application, GraphQLClient(http)


def assert_unavailable(answer, started_at: float) -> None:
    assert answer.status == 503, answer.body
    assert answer.headers["Retry-After"].isdigit()
    assert answer.codes == ["SERVICE_UNAVAILABLE"]
    assert answer.errors[0]["extensions"]["requestId"] == answer.headers["X-Request-ID"]
    assert time.monotonic() - started_at < BOUND_SECONDS


def counted(text: str, reason: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "bookwell_service_unavailable_total" and sample.labels == {
                "reason": reason
            }:
                return sample.value
    return 0.0


async def test_a_busy_pool_answers_503_quickly_and_readiness_stays_up(settings):
    async with serving(
        settings, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.3
    ) as (app, client):
        async with app.db.engine.connect() as held:  # the pool's only connection
            await held.exec_driver_sql("SELECT 1")
            began = time.monotonic()
            answer = await client(LISTINGS)
            assert_unavailable(answer, began)
            ready = await client.http.get("/readyz")
            assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok"})
        metrics = await client.http.get("/metrics")
        assert counted(metrics.text, "pool_timeout") == 1
        assert (await client(LISTINGS)).status == 200  # the pool is free again


@pytest.mark.direct_postgres  # lock_timeout is a startup parameter PgBouncer would not pass
async def test_a_held_lock_answers_503_not_a_payload_error(
    settings, db, host, guest_token, database_url
):
    # A unit left free: the second booking must take the locked nights, not be refused
    # by book_stay's look at a full night (migration 0030) without waiting for them.
    listing_id = await make_listing(db, host, units=2, **MANY_HOLDS)
    async with serving(settings, db_lock_timeout_ms=300) as (_app, client):
        await book_over_graphql(client, guest_token, listing_id, in_days(10), nights=2)
        locker = await asyncpg.connect(plain_url(database_url))
        try:
            async with locker.transaction():
                await locker.execute(
                    "SELECT 1 FROM listing_nights WHERE listing_id = $1 FOR UPDATE", listing_id
                )
                booking = {"listingId": str(listing_id), "startDate": str(in_days(10)), "nights": 2}
                began = time.monotonic()
                answer = await client(
                    create_reservation_mutation("id"), {"input": booking}, token=guest_token
                )
                assert_unavailable(answer, began)
                assert answer.body["data"] is None
        finally:
            await locker.close()
        metrics = await client.http.get("/metrics")
        assert counted(metrics.text, "lock_timeout") == 1


@pytest.mark.direct_postgres  # statement_timeout is a startup parameter, as lock_timeout
async def test_a_statement_past_its_timeout_counts_as_unavailable(settings):
    async with serving(settings, db_statement_timeout_ms=200) as (app, _), app.db.read() as session:
        with pytest.raises(DBAPIError) as raised:
            await session.execute(text("SELECT pg_sleep(2)"))
    assert unavailable_reason(raised.value) == "statement_timeout"


async def test_a_frozen_statement_is_cut_by_the_command_timeout(settings):
    """What a server frozen by SIGSTOP looks like to the client: no answer at all (here the
    server sleeps); asyncpg's command timeout ends the wait."""
    async with (
        serving(settings, db_statement_timeout_ms=0, db_command_timeout_seconds=0.3) as (
            app,
            _client,
        ),
        app.db.read() as session,
    ):
        with pytest.raises(TimeoutError) as raised:
            await session.execute(text("SELECT pg_sleep(2)"))
    assert unavailable_reason(raised.value) == "database_down"


@pytest.mark.parametrize("signed_in", [False, True])
async def test_no_database_answers_json_503_with_the_request_id(settings, guest_token, signed_in):
    """Signed in: the bearer-token lookup, before GraphQL runs, fails first."""
    token = guest_token if signed_in else None
    nowhere = settings.model_copy(update={"database_url": NOWHERE_DATABASE})
    async with serving(nowhere) as (_app, client):
        began = time.monotonic()
        answer = await client(LISTINGS, token=token)
        assert_unavailable(answer, began)
        assert answer.headers["content-type"].startswith("application/json")
        metrics = await client.http.get("/metrics")
        assert counted(metrics.text, "database_down") == 1
        ready = await client.http.get("/readyz")
        assert ready.status_code == 503
        health = await client.http.get("/health")
        assert (health.status_code, health.json()) == (503, {"status": "unavailable"})


@pytest.mark.parametrize("token", ["not-a-token", "eyJhbGciOiJIUzI1NiJ9.e30.forged"])
async def test_a_token_that_is_no_token_is_refused_without_the_database(settings, token):
    """Neither an API token's shape nor a JWT this server signed: 401 without asking the
    database (nothing it holds could make it valid), so even with the database away."""
    nowhere = settings.model_copy(update={"database_url": NOWHERE_DATABASE})
    async with serving(nowhere) as (_app, client):
        answer = await client(LISTINGS, token=token)
    assert answer.status == 401, answer.body
    assert answer.codes == ["UNAUTHENTICATED"]


async def test_requests_past_the_in_flight_limit_are_shed_at_once(
    settings, db, host, guest_token, database_url
):
    # A unit left free: the second booking must take the locked nights, not be refused
    # by book_stay's look at a full night (migration 0030) without waiting for them.
    listing_id = await make_listing(db, host, units=2, **MANY_HOLDS)
    async with serving(settings, max_in_flight=1) as (app, client):
        await book_over_graphql(client, guest_token, listing_id, in_days(10), nights=2)
        locker = await asyncpg.connect(plain_url(database_url))
        try:
            async with locker.transaction():
                await locker.execute(
                    "SELECT 1 FROM listing_nights WHERE listing_id = $1 FOR UPDATE", listing_id
                )
                booking = {"listingId": str(listing_id), "startDate": str(in_days(10)), "nights": 2}
                blocked = asyncio.create_task(
                    client(create_reservation_mutation("id"), {"input": booking}, token=guest_token)
                )
                for _ in range(1000):  # until the booking waits on the lock
                    if app.db.engine.pool.checkedout() > len(app.db.idle):
                        break
                    await asyncio.sleep(0.01)
                began = time.monotonic()
                answer = await client(LISTINGS)
                assert_unavailable(answer, began)
                assert (await client.http.get("/healthz")).status_code == 200
        finally:
            await locker.close()
        assert (await blocked).status == 200
        metrics = await client.http.get("/metrics")
        assert counted(metrics.text, "overloaded") == 1


def _raise_from(filename: str) -> BaseException:
    """asyncpg's protocol refusing a new operation on a connection the server dropped
    (`InternalClientError`, raised in C, so asyncpg's Python frames are the last in its
    traceback), here raised from a frame named like one of asyncpg's or one of ours."""
    code = compile(
        "raise InternalClientError("
        "'cannot switch to state 12; another operation (2) is in progress')",
        filename,
        "exec",
    )
    try:
        exec(code, {"InternalClientError": InternalClientError})
    except InternalClientError as error:
        return error
    raise AssertionError("not raised")


def test_a_connection_left_mid_operation_by_a_restart_counts_as_unavailable():
    assert unavailable_reason(_raise_from("/venv/asyncpg/connection.py")) == "database_down"
    # The same error raised by our own code (a connection shared by mistake) is a bug.
    assert unavailable_reason(_raise_from("/src/bookwell/flows/booking.py")) is None


async def test_our_own_mistake_in_a_driver_statement_is_a_bug_not_an_outage(db, database_url):
    """asyncpg answers a statement sent with the wrong arguments with an InterfaceError:
    that is our bug (a masked "Unexpected error." and a logged traceback), not a database
    to retry later. A connection closed under the statement is one."""
    async with db.raw_read() as driver:
        with pytest.raises(asyncpg.InterfaceError) as wrong_count:
            await driver.fetchval("SELECT $1::int + $2::int", 1)
        with pytest.raises(asyncpg.DataError) as wrong_type:
            await driver.fetchval("SELECT $1::int", "one")
    closed = await asyncpg.connect(plain_url(database_url))
    await closed.close()
    with pytest.raises(asyncpg.InterfaceError) as on_a_closed_connection:
        await closed.fetchval("SELECT 1")

    assert unavailable_reason(wrong_count.value) is None
    assert unavailable_reason(wrong_type.value) is None
    assert unavailable_reason(on_a_closed_connection.value) == "database_down"
