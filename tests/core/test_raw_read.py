"""Database.raw_read (core/db.py): the pool's asyncpg connection, in autocommit, given back
or kept idle (core/idle_connections.py), a broken one never used again."""

import asyncio
import contextlib
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import exc, text

from bookwell.core.db import Database, Timeouts, connect
from bookwell.http.metrics import read_pool
from bookwell.observability.metrics import Metrics
from tests.pooler import statement_cache_size


def checked_out(db: Database) -> int:
    return db.engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined,no-any-return]


async def test_raw_read_answers_outside_a_transaction_and_keeps_the_connection(
    db: Database,
) -> None:
    assert db.idle.keep == 1  # the fixture's pool of 5
    async with db.raw_read() as connection:
        assert checked_out(db) == 1
        assert not connection.is_in_transaction()
        assert await connection.fetchval("SELECT $1::int + 1", 41) == 42
        pid = connection.get_server_pid()
    assert checked_out(db) == 1  # kept idle, still counted by the pool
    async with db.raw_read() as again:  # the same connection, usable again
        assert again.get_server_pid() == pid
        assert await again.fetchval("SELECT 1") == 1
    assert checked_out(db) == 1


async def test_beyond_the_kept_ones_connections_go_back_to_the_pool(db: Database) -> None:
    async def hold(started: asyncio.Event, release: asyncio.Event) -> None:
        async with db.raw_read() as connection:
            started.set()
            await release.wait()
            assert await connection.fetchval("SELECT 1") == 1

    release = asyncio.Event()
    starts = [asyncio.Event() for _ in range(3)]
    tasks = [asyncio.create_task(hold(started, release)) for started in starts]
    await asyncio.gather(*(started.wait() for started in starts))
    assert checked_out(db) == 3
    release.set()
    await asyncio.gather(*tasks)
    assert checked_out(db) == 1


async def test_a_statement_error_leaves_the_connection_usable(db: Database) -> None:
    with pytest.raises(Exception, match="division by zero"):
        async with db.raw_read() as connection:
            pid = connection.get_server_pid()
            await connection.fetchval("SELECT 1 / 0")
    assert checked_out(db) == 0  # back to the pool after an error, not kept
    async with db.raw_read() as again:
        assert again.get_server_pid() == pid  # the pool's, reused
        assert await again.fetchval("SELECT 1") == 1


# Behind PgBouncer the backend killed is the pooler's server connection, not the client's
# (which PgBouncer answers or closes itself): these check asyncpg on PostgreSQL itself.
@pytest.mark.direct_postgres
async def test_a_connection_whose_backend_is_killed_in_use_is_invalidated(db: Database) -> None:
    with pytest.raises(Exception, match="terminat"):
        async with db.raw_read() as connection:
            killed = connection.get_server_pid()
            await connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert checked_out(db) == 0
    async with db.raw_read() as fresh:
        assert fresh.get_server_pid() != killed
        assert await fresh.fetchval("SELECT 1") == 1


# Behind PgBouncer the backend killed is the pooler's server connection, not the client's
# (which PgBouncer answers or closes itself): these check asyncpg on PostgreSQL itself.
@pytest.mark.direct_postgres
async def test_a_kept_connection_whose_backend_is_killed_is_not_used_again(db: Database) -> None:
    async with db.raw_read() as connection:
        killed = connection.get_server_pid()
    async with db.engine.connect() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed})
    for _ in range(500):  # until asyncpg has seen its socket close
        if connection.is_closed():
            break
        await asyncio.sleep(0.01)
    assert connection.is_closed()
    async with db.raw_read() as fresh:
        assert fresh.get_server_pid() != killed
        assert await fresh.fetchval("SELECT 1") == 1
    assert checked_out(db) == 1


async def test_dispose_closes_the_kept_connections(db: Database) -> None:
    async with db.raw_read() as connection:
        assert await connection.fetchval("SELECT 1") == 1
    assert checked_out(db) == 1
    await db.dispose()
    assert checked_out(db) == 0
    assert connection.is_closed()


async def test_the_checked_out_gauge_leaves_out_the_kept_ones(db: Database) -> None:
    metrics = Metrics()
    async with db.raw_read():
        read_pool(metrics, db)
        assert metrics.pool_checked_out._value.get() == 1
    read_pool(metrics, db)
    assert checked_out(db) == 1
    assert metrics.pool_checked_out._value.get() == 0


# Behind PgBouncer the backend killed is the pooler's server connection, not the client's
# (which PgBouncer answers or closes itself): these check asyncpg on PostgreSQL itself.
@pytest.mark.direct_postgres
async def test_a_kept_connection_older_than_the_pools_invalidation_is_not_used_again(
    db: Database,
) -> None:
    async with db.engine.connect() as victim:
        victim_pid = (await victim.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with db.raw_read() as kept:
            await kept.fetchval("SELECT pg_terminate_backend($1)", victim_pid)
            kept_pid = kept.get_server_pid()
        assert len(db.idle) == 1
        driver = (await victim.get_raw_connection()).driver_connection
        for _ in range(500):  # until asyncpg has seen its socket close
            if driver.is_closed():
                break
            await asyncio.sleep(0.01)
        # SQLAlchemy sees the disconnect and marks every older connection of the pool stale.
        with pytest.raises(exc.DBAPIError) as raised:
            await victim.execute(text("SELECT 1"))
        assert raised.value.connection_invalidated
    assert not kept.is_closed()  # alive, but older than the pool's invalidation
    async with db.raw_read() as fresh:
        assert fresh.get_server_pid() != kept_pid
        assert await fresh.fetchval("SELECT 1") == 1
    assert kept.is_closed()
    assert checked_out(db) == 1


async def test_a_connection_left_cancelling_is_not_kept(db: Database) -> None:
    async with db.raw_read() as connection:
        pid = connection.get_server_pid()
        with contextlib.suppress(TimeoutError):  # asyncpg sends a cancel request, unanswered yet
            await connection.fetchval("SELECT pg_sleep($1)", 2.0, timeout=0.05)
    assert checked_out(db) == 0
    assert connection.is_closed()
    async with db.raw_read() as fresh:
        assert fresh.get_server_pid() != pid
        assert await fresh.fetchval("SELECT 1") == 1


async def test_a_connection_left_with_a_statement_running_is_not_kept(db: Database) -> None:
    async with db.raw_read() as connection:
        pid = connection.get_server_pid()
        running = asyncio.create_task(connection.fetchval("SELECT pg_sleep($1)", 2.0))
        await asyncio.sleep(0.05)  # sent; its answer not yet come
    assert checked_out(db) == 0
    assert connection.is_closed()
    with pytest.raises(Exception):  # noqa: B017 (whichever asyncpg raises on its closing)
        await running
    async with db.raw_read() as fresh:
        assert fresh.get_server_pid() != pid


@pytest.mark.parametrize(("pool_size", "max_overflow", "kept"), [(4, 0, 0), (4, 2, 1)])
async def test_kept_connections_never_keep_sessions_from_the_pools_size(
    database_url: str, pool_size: int, max_overflow: int, kept: int
) -> None:
    db = connect(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        statement_cache_size=statement_cache_size(),
        timeouts=Timeouts(pool_seconds=0.5),  # a session waiting on a kept one: TimeoutError
    )
    try:
        async with db.raw_read() as connection:
            assert await connection.fetchval("SELECT 1") == 1
        assert len(db.idle) == kept
        async with AsyncExitStack() as sessions:
            for _ in range(pool_size):
                session = await sessions.enter_async_context(db.transaction())
                assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await db.dispose()
