"""BOOKWELL_DIRECT_DATABASE_URL: LISTEN (the API's subscriptions, the relay's wake-up) and the
scheduler's session lock connect there, not to DATABASE_URL (which may be PgBouncer).

The direct URL here reaches the same server as another role, so pg_stat_activity shows which
connection went where."""

import asyncio
import uuid

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bookwell.app import create_app
from bookwell.services.payments import build_provider
from bookwell.workers.background import BackgroundWork
from bookwell.workers.leader import SCHEDULER_LOCK
from bookwell.workers.scheduler import run_scheduler
from tests.factories import book, in_days, make_listing
from tests.support.database import admin_execute
from tests.support.lifespan import started
from tests.workers.queue_helpers import eventually, forget_queue, queue_settings, scalar


@pytest.fixture
async def direct(server_url, database_url):
    """(role, URL): the test database as a role of its own."""
    role = f"bookwell_direct_{uuid.uuid4().hex[:10]}"
    await admin_execute(server_url, f"CREATE ROLE {role} LOGIN PASSWORD 'direct'")
    url = make_url(database_url).set(username=role, password="direct")
    yield role, url.render_as_string(hide_password=False)
    await admin_execute(
        server_url,
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'",
        f"DROP ROLE {role}",
    )


async def role_of(db, pid: int | None) -> str | None:
    assert pid is not None
    return await scalar(db, "SELECT usename FROM pg_stat_activity WHERE pid = :pid", pid=pid)


async def test_the_api_listens_on_the_direct_url(db, settings, direct):
    role, url = direct
    assert settings.direct_url(settings.database_url) == settings.database_url  # the default
    app = create_app(settings.model_copy(update={"direct_database_url": url}))
    async with started(app) as app:
        listener = app.listener
        assert await role_of(db, listener.backend_pid) == role
        async with listener.subscribe("bookwell_direct_probe") as queue:
            async with db.transaction() as session:
                await session.execute(text("SELECT pg_notify('bookwell_direct_probe', 'hello')"))
            assert await asyncio.wait_for(queue.get(), 10) == "hello"


async def test_the_relay_is_woken_through_the_direct_url(
    db, host, guest, settings, database_url, redis_server_url, queue_namespace, smtp_sink, direct
):
    role, url = direct
    config = queue_settings(
        settings,
        redis_url=redis_server_url,
        namespace=queue_namespace,
        smtp_url=smtp_sink.url,
        direct_database_url=url,
        # Only a NOTIFY can wake the relay within the test's wait.
        relay_poll_seconds=600,
    )
    work = BackgroundWork(config, database_url=database_url, redis_url=redis_server_url)
    await work.start()
    try:
        assert await role_of(db, work._listener.backend_pid) == role
        listing_id = await make_listing(db, host)
        await asyncio.sleep(0.5)  # the relay's first pass is over: it waits for a wake-up
        await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
        await smtp_sink.wait_for(lambda got: len(got) == 2, within=30)
    finally:
        await work.stop()
        forget_queue(redis.Redis.from_url(redis_server_url), queue_namespace)


LOCK_HOLDER = """
SELECT a.usename FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :space AND l.objid = :key
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def test_the_scheduler_holds_its_lock_on_the_direct_url(db, settings, direct):
    role, url = direct
    config = settings.model_copy(update={"direct_database_url": url, "scheduler_tick_seconds": 0.2})
    stop = asyncio.Event()
    running = asyncio.create_task(run_scheduler(db, config, build_provider(config), stop=stop))
    space, key = SCHEDULER_LOCK

    async def holder() -> str | None:
        return await scalar(db, LOCK_HOLDER, space=space, key=key)

    try:
        await eventually(lambda: _equals(holder(), role), within=20)
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
    assert await holder() is None  # released on the way out


async def _equals(value, expected) -> bool:
    return await value == expected
