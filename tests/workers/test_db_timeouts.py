"""Issue 16: the worker's, the relay's and the scheduler's connections are bounded too
(BOOKWELL_WORKER_DB_*, core/db.py Timeouts.of(settings, "worker")). A locked table fails
their work by the lock timeout, retried, instead of hanging it; it recovers once the lock
goes."""

import asyncio
import logging
import time

import asyncpg
import pytest
from sqlalchemy import text

from bookwell.core.db import Timeouts
from bookwell.workers.background import BackgroundWork
from bookwell.workers.runtime import WorkerRuntime
from tests.factories import book, in_days, make_listing
from tests.support.database import plain_url
from tests.workers.queue_helpers import eventually, forget_queue, queue_settings, scalar

NAMES = ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")


@pytest.mark.direct_postgres  # PgBouncer drops these startup parameters
async def test_the_worker_connections_start_with_their_own_timeouts(settings, database_url):
    runtime = WorkerRuntime(settings, database_url)
    try:
        async with runtime.db.read() as session:
            shown = [(await session.execute(text(f"SHOW {name}"))).scalar_one() for name in NAMES]
    finally:
        await runtime.close()
    assert shown == ["2min", "30s", "5min"]
    bounds = Timeouts.of(settings, "worker")
    assert (bounds.connect_seconds, bounds.command_seconds) == (10.0, 150.0)
    off = Timeouts.of(settings.model_copy(update={"db_server_timeouts": False}), "worker")
    assert off.server_settings() == {}


@pytest.mark.direct_postgres
async def test_a_locked_outbox_fails_the_relay_by_its_lock_timeout_and_it_recovers(
    db, host, guest, settings, database_url, redis_server_url, queue_namespace, smtp_sink, caplog
):
    config = queue_settings(
        settings,
        redis_url=redis_server_url,
        namespace=queue_namespace,
        smtp_url=smtp_sink.url,
        worker_db_lock_timeout_ms=300,
    )
    listing_id = await make_listing(db, host)
    await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
    locker = await asyncpg.connect(plain_url(database_url))
    locked = locker.transaction()
    await locked.start()
    await locker.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
    work = BackgroundWork(config, database_url=database_url, redis_url=redis_server_url)
    caplog.set_level(logging.INFO, logger="bookwell.workers.relay")
    try:
        await work.start()
        began = time.monotonic()

        def failed() -> bool:
            return any("lock timeout" in r.getMessage() for r in caplog.records)

        # Without a lock timeout the relay's first statement waits for the lock for good.
        while not failed():
            assert time.monotonic() - began < 10, [r.getMessage() for r in caplog.records]
            await asyncio.sleep(0.1)
        await locked.rollback()

        async def delivered() -> bool:
            return await scalar(db, "SELECT delivered_at IS NOT NULL FROM outbox") is True

        await eventually(delivered)
        assert len(await smtp_sink.wait_for(lambda got: len(got) >= 2)) == 2
        assert any("relay recovered" in r.getMessage() for r in caplog.records)
    finally:
        await locker.close()
        await work.stop()
        forget_queue(work.broker.client, queue_namespace)
