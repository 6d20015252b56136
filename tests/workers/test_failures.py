"""Delivery survives the failures the outbox exists for: Redis going away, a worker killed."""

import asyncio
import signal
import subprocess

import pytest
import redis

from bookwell.workers.background import BackgroundWork
from tests.factories import MANY_HOLDS, book, in_days, make_listing
from tests.workers import queue_helpers
from tests.workers.queue_helpers import (
    deliveries,
    eventually,
    forget_queue,
    forty_emails_queued,
    queue_settings,
    scalar,
)
from tests.workers.redis_process import RedisProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_process():
    server = RedisProcess()
    server.start()
    yield server
    server.stop()


async def test_bookings_while_redis_is_down_are_emailed_once_it_is_back(
    db, host, guest, settings, database_url, redis_process, queue_namespace, smtp_sink
):
    config = queue_settings(
        settings, redis_url=redis_process.url, namespace=queue_namespace, smtp_url=smtp_sink.url
    )
    work = BackgroundWork(config, database_url=database_url, redis_url=redis_process.url)
    await work.start()
    try:
        listing_id = await make_listing(db, host, units=10, **MANY_HOLDS)
        await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
        await smtp_sink.wait_for(lambda got: len(got) == 2)

        redis_process.stop()
        for day in range(5):  # each commits; the relay cannot reach Redis
            await book(db, guest, listing_id, in_days(20 + day), nights=1, as_the_api_does=True)

        async def stuck() -> bool:
            return await scalar(db, "SELECT count(*) FROM outbox WHERE relayed_at IS NULL") == 5

        await eventually(stuck)
        await asyncio.sleep(1)  # the relay keeps failing meanwhile, and keeps the rows
        assert await scalar(db, "SELECT count(*) FROM outbox WHERE relayed_at IS NULL") == 5

        redis_process.start()
        await smtp_sink.wait_for(lambda got: len(got) >= 12, within=60)
        await asyncio.sleep(1)
    finally:
        await work.stop()
    counted = deliveries(smtp_sink.messages)
    assert len(counted) == 12 and set(counted.values()) == {1}


def start_worker(config, database_url: str) -> subprocess.Popen:
    # Presume a silent worker dead after 2 s, and check on every command, so the killed
    # worker's messages come back in seconds rather than a minute.
    return queue_helpers.start_worker(
        config,
        database_url,
        BOOKWELL_BROKER_HEARTBEAT_TIMEOUT_MS="2000",
        BOOKWELL_BROKER_MAINTENANCE_CHANCE="1000000",
    )


async def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_are_bounded(
    db, host, guest, settings, database_url, redis_server_url, queue_namespace, smtp_sink
):
    config = queue_settings(
        settings, redis_url=redis_server_url, namespace=queue_namespace, smtp_url=smtp_sink.url
    )
    await forty_emails_queued(db, host, guest)
    smtp_sink.slow_down(0.05)
    first = start_worker(config, database_url)
    try:
        await smtp_sink.wait_for(lambda got: len(got) >= 6, within=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        survived = len(smtp_sink.messages)
        assert survived < 40, "the worker finished before it could be killed"
        second = start_worker(config, database_url)
        try:
            await smtp_sink.wait_for(lambda got: len(deliveries(got)) == 40, within=90)
            await asyncio.sleep(1)
        finally:
            second.terminate()
            assert second.wait(30) == 0
    finally:
        if first.poll() is None:
            first.kill()
        forget_queue(redis.Redis.from_url(redis_server_url), queue_namespace)
    counted = deliveries(smtp_sink.messages)
    duplicates = sum(counted.values()) - len(counted)
    # Only a message in the middle of its SMTP exchange when the worker died can arrive
    # twice: at most one per worker thread (README: "Delivery guarantees").
    assert len(counted) == 40 and duplicates <= 4
    assert await scalar(db, "SELECT count(*) FROM notification_log") == 40
