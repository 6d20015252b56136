"""The request id travels in Dramatiq message options to the worker's log context; an
outbox delivery logs its outbox id and event (real Redis, database and SMTP server)."""

import asyncio
import json

import dramatiq
import pytest
from structlog.contextvars import bound_contextvars, get_contextvars

from bookwell.observability.dramatiq_context import carry_context
from bookwell.observability.logging import configure_logging
from bookwell.workers.background import BackgroundWork
from bookwell.workers.broker import QUERIES
from tests.factories import book, in_days, make_listing
from tests.workers.queue_helpers import forget_queue


@pytest.fixture
async def running(queue_config, database_url):
    work = BackgroundWork(queue_config, database_url=database_url, redis_url=queue_config.redis_url)
    await work.start()
    yield work
    await work.stop()
    forget_queue(work.broker.client, queue_config.queue_namespace)


async def log_context() -> dict:
    return dict(get_contextvars())


async def test_the_request_id_reaches_the_actor(running):
    probe = dramatiq.actor(
        carry_context(log_context),
        broker=running.broker,
        queue_name=QUERIES,
        store_results=True,
        max_retries=0,
    )
    with bound_contextvars(request_id="req-42"):
        message = probe.send()
        availability = running.actors.check_availability.send("nope", "2030-01-01", "2030-01-02")
    assert message.options["request_id"] == "req-42"
    assert availability.options["request_id"] == "req-42"
    results = running.broker.get_results_backend()
    seen = await asyncio.to_thread(results.get_result, message, block=True, timeout=20_000)
    assert seen == {
        "request_id": "req-42",
        "message_id": message.message_id,
        "actor": "log_context",
    }
    answer = await asyncio.to_thread(results.get_result, availability, block=True, timeout=20_000)
    assert answer["errors"][0]["code"] == "NOT_FOUND"
    # Sent outside a request: no request id.
    assert "request_id" not in probe.send().options


async def test_a_delivery_logs_its_outbox_id_and_event(
    db, host, guest, running, queue_config, smtp_sink, capsys
):
    configure_logging(queue_config)
    listing_id = await make_listing(db, host)
    await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
    await smtp_sink.wait_for(lambda got: len(got) >= 2)

    def delivery_lines() -> list[dict]:
        return [
            line
            for line in map(json.loads, filter(None, captured.splitlines()))
            if line.get("logger") == "bookwell.workers.actors"
        ]

    captured = ""
    for _ in range(200):
        captured += capsys.readouterr().err
        if delivery_lines():
            break
        await asyncio.sleep(0.05)
    [line] = delivery_lines()
    assert isinstance(line["outbox_id"], int)
    assert line["event"]
    assert line["actor"] == "deliver_notification"
    assert "request_id" not in line
