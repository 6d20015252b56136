"""Messages Redis lost are found and relayed again, and only those."""

from datetime import timedelta

import pytest

from bookwell.workers import status
from bookwell.workers.background import BackgroundWork
from bookwell.workers.broker import NOTIFICATIONS
from bookwell.workers.lost_messages import LossWatch, RedisView, redis_view
from bookwell.workers.relay import relay_batch, relay_lost
from tests.factories import MANY_HOLDS, book, in_days, make_listing
from tests.workers.queue_helpers import forget_queue, queue_settings, scalar


def view(run_id: str, live=(), dead=()) -> RedisView:
    return RedisView(run_id=run_id, live=frozenset(live), dead=frozenset(dead))


def test_a_message_missing_at_one_look_is_in_transit_at_two_it_is_lost():
    watch = LossWatch()
    assert watch.lost(view("a", live=[1]), [1, 2, 3]) == []  # 2 and 3 missing once
    assert watch.lost(view("a", live=[1, 2]), [1, 2, 3]) == [3]
    assert watch.lost(view("a", live=[1, 2, 3]), [1, 2, 3]) == []  # relayed again: back


def test_after_a_restart_every_missing_message_is_lost_at_once():
    watch = LossWatch()
    assert watch.lost(view("a", live=[1, 2], dead=[3]), [1, 2, 3]) == []
    assert watch.lost(view("b", live=[2]), [1, 2, 3]) == [1, 3]


def test_a_dead_letter_is_not_lost():
    watch = LossWatch()
    for _ in range(3):
        assert watch.lost(view("a", dead=[7]), [7]) == []


@pytest.fixture
async def work(settings, redis_server_url, queue_namespace, smtp_sink, database_url):
    """The relay's side only: a broker with the actors declared, nothing consuming."""
    config = queue_settings(
        settings, redis_url=redis_server_url, namespace=queue_namespace, smtp_url=smtp_sink.url
    )
    background = BackgroundWork(
        config, database_url=database_url, redis_url=redis_server_url, relay=False, worker=False
    )
    yield background
    background.broker.close()
    forget_queue(background.broker.client, queue_namespace)


def _drop_message(broker, outbox_id: int) -> None:
    """What a Redis that restarted empty does to one message."""
    key = f"{broker.namespace}:{NOTIFICATIONS}"
    for redis_id, data in broker.client.hgetall(f"{key}.msgs").items():
        if f'"args":[{outbox_id}]'.encode() in data:
            broker.client.hdel(f"{key}.msgs", redis_id)
            broker.client.lrem(key, 0, redis_id)


async def test_the_relay_sends_again_only_what_redis_lost(db, host, guest, work):
    listing_id = await make_listing(db, host, units=5, **MANY_HOLDS)
    for day in range(3):
        await book(db, guest, listing_id, in_days(10 + day), nights=1, as_the_api_does=True)
    assert await relay_batch(db, work.enqueue_outbox) == 3
    lost_id = await scalar(db, "SELECT min(id) FROM outbox")
    _drop_message(work.broker, lost_id)
    assert redis_view(work.broker).live == frozenset({lost_id + 1, lost_id + 2})

    report = await status.outbox_status(db, work.broker, max_relays=3, grace=timedelta(0))
    assert (report.not_done, report.in_progress, report.lost) == (3, 2, 1)
    assert report.oldest_lost is not None

    watch = LossWatch()
    assert await relay_lost(db, work.enqueue_outbox, watch, work.look, grace=timedelta(0)) == 0
    assert await relay_lost(db, work.enqueue_outbox, watch, work.look, grace=timedelta(0)) == 1
    assert redis_view(work.broker).live == frozenset({lost_id, lost_id + 1, lost_id + 2})
    assert work.broker.client.llen(f"{work.broker.namespace}:{NOTIFICATIONS}") == 3
    # A loss is not the message's fault: it does not use up a relay.
    assert await scalar(db, "SELECT max(relay_count) FROM outbox") == 1
    report = await status.outbox_status(db, work.broker, max_relays=3, grace=timedelta(0))
    assert (report.in_progress, report.lost) == (3, 0)


async def test_a_row_relayed_within_the_grace_is_not_lost_yet(db, host, guest, work):
    listing_id = await make_listing(db, host)
    await book(db, guest, listing_id, in_days(10), nights=1, as_the_api_does=True)
    await relay_batch(db, work.enqueue_outbox)
    _drop_message(work.broker, await scalar(db, "SELECT id FROM outbox"))
    watch, hour = LossWatch(), timedelta(hours=1)
    for _ in range(2):
        assert await relay_lost(db, work.enqueue_outbox, watch, work.look, grace=hour) == 0
