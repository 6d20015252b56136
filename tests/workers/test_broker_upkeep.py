"""Workers presumed dead give their fetched messages back; live ones keep theirs, however
long their messages take (workers/broker_upkeep.py)."""

import asyncio

import pytest

from bookwell.workers.background import BackgroundWork
from bookwell.workers.broker import NOTIFICATIONS
from bookwell.workers.broker_upkeep import (
    maintainer_of,
    parked_messages,
    requeue_from_dead_workers,
    run_broker_upkeep,
)
from bookwell.workers.relay import relay_batch
from tests.factories import MANY_HOLDS, book, in_days, make_listing
from tests.workers.queue_helpers import forget_queue, queue_settings


@pytest.fixture
async def work(settings, redis_server_url, queue_namespace, smtp_sink, database_url):
    """A broker with the actors declared and four messages queued by the relay; nothing
    consuming (the tests fetch as "workers" of their own)."""
    config = queue_settings(
        settings,
        redis_url=redis_server_url,
        namespace=queue_namespace,
        smtp_url=smtp_sink.url,
        broker_heartbeat_timeout_ms=3000,
    )
    background = BackgroundWork(
        config, database_url=database_url, redis_url=redis_server_url, relay=False, worker=False
    )
    yield background
    background.broker.close()
    forget_queue(background.broker.client, queue_namespace)


@pytest.fixture
async def four_queued(db, host, guest, work) -> None:
    listing_id = await make_listing(db, host, units=5, **MANY_HOLDS)
    for day in range(4):
        await book(db, guest, listing_id, in_days(10 + day), nights=1, as_the_api_does=True)
    assert await relay_batch(db, work.enqueue_outbox) == 4


async def test_messages_fetched_by_a_dead_worker_are_requeued_and_a_live_ones_are_not(
    work, four_queued
):
    broker, client = work.broker, work.broker.client
    queue = f"{broker.namespace}:{NOTIFICATIONS}"
    dead, live = maintainer_of(broker), maintainer_of(broker)  # two brokers: two "workers"
    for fetcher in (dead, live):
        fetcher.maintenance_chance = 0
        assert len(fetcher.do_fetch(NOTIFICATIONS, 2)) == 2
    assert client.llen(queue) == 0
    heartbeats = f"{broker.namespace}:__heartbeats__"
    client.zadd(heartbeats, {dead.broker_id: 0})  # silent since 1970
    client.zadd(heartbeats, {live.broker_id: 2**50})  # alive whatever the test's pace
    assert await asyncio.to_thread(parked_messages, broker) == 2

    maintainer = maintainer_of(broker)
    maintainer.declare_queue(NOTIFICATIONS)
    assert await asyncio.to_thread(requeue_from_dead_workers, maintainer) == 2
    assert client.llen(queue) == 2  # the dead worker's two; the live worker keeps its own
    assert client.scard(f"{broker.namespace}:__acks__.{live.broker_id}.{NOTIFICATIONS}") == 2
    assert await asyncio.to_thread(parked_messages, broker) == 0
    assert client.zscore(heartbeats, dead.broker_id) is None  # forgotten


async def test_a_busy_worker_heartbeats_and_keeps_its_messages(work, four_queued):
    broker, client = work.broker, work.broker.client
    busy, silent = maintainer_of(broker), maintainer_of(broker)
    for fetcher in (busy, silent):
        fetcher.maintenance_chance = 0
        fetcher.declare_queue(NOTIFICATIONS)
        assert len(fetcher.do_fetch(NOTIFICATIONS, 2)) == 2
    # Neither sends another command: the busy one's upkeep heartbeats for it (every 1 s,
    # a third of the 3 s timeout), and requeues the silent one's messages.
    stop = asyncio.Event()
    upkeep = asyncio.create_task(run_broker_upkeep(busy, work.settings, stop=stop, consuming=True))
    try:
        await asyncio.sleep(5)
    finally:
        stop.set()
        await upkeep
    acks = f"{broker.namespace}:__acks__.{{}}.{NOTIFICATIONS}"
    assert client.scard(acks.format(busy.broker_id)) == 2
    assert client.scard(acks.format(silent.broker_id)) == 0
    assert client.llen(f"{broker.namespace}:{NOTIFICATIONS}") == 2
