"""An outbox event keeps the id of the request that recorded it, and the worker's delivery
log lines carry that id (real app, database, Redis and SMTP server)."""

import asyncio
import json
from datetime import date, timedelta

import httpx
import pytest
import redis
from structlog.contextvars import bound_contextvars

from bookwell.app import create_app
from bookwell.observability.logging import configure_logging
from bookwell.services.notifications import outbox
from bookwell.workers.background import BackgroundWork
from tests.factories import book, in_days, make_listing, make_token
from tests.support.lifespan import started
from tests.workers.queue_helpers import forget_queue, scalar

BOOK = """
mutation Book($input: CreateReservationInput!) {
  createReservation(input: $input) { reservation { id } errors { code } }
}"""


@pytest.fixture
async def http(queue_config):
    app = create_app(queue_config)
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    forget_queue(redis.Redis.from_url(queue_config.redis_url), queue_config.queue_namespace)


async def _book_over_http(http, token: str, listing_id, request_id: str) -> httpx.Response:
    variables = {
        "input": {
            "listingId": str(listing_id),
            "startDate": (date.today() + timedelta(days=40)).isoformat(),
            "nights": 2,
        }
    }
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
    return await http.post(
        "/graphql", json={"query": BOOK, "variables": variables}, headers=headers
    )


async def test_a_bookings_delivery_logs_the_booking_requests_id(
    db, host, guest, http, queue_config, database_url, smtp_sink, capsys
):
    listing_id = await make_listing(db, host)
    token = await make_token(db, guest)
    response = await _book_over_http(http, token, listing_id, "req-booking-42")
    assert response.json()["data"]["createReservation"]["errors"] == []
    assert response.headers["X-Request-ID"] == "req-booking-42"
    outbox_id = await scalar(db, "SELECT id FROM outbox WHERE request_id = 'req-booking-42'")
    assert outbox_id is not None
    assert await scalar(db, "SELECT count(*) FROM outbox WHERE request_id IS NULL") == 0

    configure_logging(queue_config)
    capsys.readouterr()
    work = BackgroundWork(queue_config, database_url=database_url, redis_url=queue_config.redis_url)
    await work.start()
    try:
        await smtp_sink.wait_for(lambda got: len(got) >= 2)
        captured, lines = "", []
        for _ in range(200):
            captured += capsys.readouterr().err
            lines = [
                line
                for line in map(json.loads, filter(None, captured.splitlines()))
                if line.get("logger") == "bookwell.workers.actors"
            ]
            if lines:
                break
            await asyncio.sleep(0.05)
    finally:
        await work.stop()
        forget_queue(work.broker.client, queue_config.queue_namespace)
    [line] = lines
    assert line["outbox_id"] == outbox_id
    assert line["request_id"] == "req-booking-42"
    assert line["actor"] == "deliver_notification"


@pytest.mark.parametrize("sent", ["two words", "x" * 101, "line\\nbreak", ""])
async def test_an_unfit_request_id_is_replaced(db, host, guest, http, sent):
    listing_id = await make_listing(db, host)
    token = await make_token(db, guest)
    response = await _book_over_http(http, token, listing_id, sent)
    request_id = response.headers["X-Request-ID"]
    assert request_id != sent and len(request_id) == 32
    assert await scalar(db, "SELECT request_id FROM outbox") == request_id


async def test_events_recorded_outside_a_request_have_no_id_and_a_jobs_id_when_bound(
    db, host, guest
):
    listing_id = await make_listing(db, host)
    reservation = await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
    assert await scalar(db, "SELECT count(*) FROM outbox WHERE request_id IS NOT NULL") == 0
    with bound_contextvars(request_id="job-7"):
        async with db.transaction() as session:
            await outbox.record_each(
                session=session,
                event=outbox.Event.RESERVATION_COMPLETED,
                reservation_ids=[reservation.id],
            )
    found = await scalar(db, "SELECT request_id FROM outbox WHERE event = 'reservation.completed'")
    assert found == "job-7"
