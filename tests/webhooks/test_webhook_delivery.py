"""Events to a real receiver on loopback through the real path: outbox -> relay -> Dramatiq
on Redis -> worker -> signed POST; retries, disabling with an email, replay."""

import asyncio
import json
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
from standardwebhooks.webhooks import Webhook

from bookwell.workers.background import BackgroundWork
from tests.factories import MANY_HOLDS, book, in_days, make_listing
from tests.webhooks.helpers import REPLAY, ROTATE, UPDATE, create_endpoint, endpoints
from tests.webhooks.receiver import running_receiver, verify
from tests.workers.queue_helpers import eventually, forget_queue, queue_settings


@pytest.fixture
def start_work(settings, redis_server_url, queue_namespace, smtp_sink, database_url):
    @asynccontextmanager
    async def start(**webhook_settings):
        config = queue_settings(
            settings,
            redis_url=redis_server_url,
            namespace=queue_namespace,
            smtp_url=smtp_sink.url,
            **webhook_settings,
        )
        work = BackgroundWork(config, database_url=database_url, redis_url=redis_server_url)
        await work.start()
        try:
            yield work
        finally:
            await work.stop()
            forget_queue(work.broker.client, queue_namespace)

    return start


async def wait_for(receiver, count: int) -> list:
    return await asyncio.to_thread(receiver.wait_for, count)


async def deliveries_of(client, token) -> list[dict]:
    listed = await endpoints(client, token)
    return [edge["node"] for edge in listed["edges"][0]["node"]["deliveries"]["edges"]]


async def test_a_booking_is_posted_signed_to_the_hosts_endpoint(
    db, host, guest, host_token, client, start_work
):
    listing_id = await make_listing(db, host, title="Harbour View Loft")
    with running_receiver() as receiver:
        made = await create_endpoint(client, host_token, receiver.url, ["RESERVATION_CREATED"])
        async with start_work():
            row = await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
            (request,) = await wait_for(receiver, 1)

            async def recorded() -> bool:
                found = await deliveries_of(client, host_token)
                return bool(found) and found[0]["status"] == "SUCCEEDED"

            await eventually(recorded)
    secret = made["secret"]
    assert verify(secret, request)  # the specification, as written in tests/webhooks
    body = Webhook(secret).verify(request.body, request.headers)  # and the library
    assert body["type"] == "reservation.created"
    reservation = body["data"]["reservation"]
    assert reservation["databaseId"] == str(row.id)
    assert reservation["listingTitle"] == "Harbour View Loft"
    assert reservation["startDate"] == row.start_date.isoformat()
    assert request.headers["content-type"] == "application/json"
    assert not verify("whsec_" + "A" * 44, request)  # another secret does not verify

    (delivery,) = await deliveries_of(client, host_token)
    assert delivery["messageId"] == request.headers["webhook-id"]
    assert delivery["payload"].encode() == request.body
    assert delivery["attemptCount"] == 1 and delivery["nextAttemptAt"] is None
    (attempt,) = [edge["node"] for edge in delivery["attempts"]["edges"]]
    assert attempt["succeeded"] is True and attempt["statusCode"] == 200
    assert attempt["error"] is None and attempt["durationMs"] >= 0


async def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers(
    db, host, guest, host_token, client, start_work
):
    listing_id = await make_listing(db, host)
    with running_receiver(answers=[500, 503]) as receiver:
        made = await create_endpoint(client, host_token, receiver.url, ["RESERVATION_CREATED"])
        async with start_work(webhook_retry_seconds="0.5,1.0,5"):
            await book(db, guest, listing_id, in_days(10), as_the_api_does=True)
            requests = await wait_for(receiver, 3)

            async def done() -> bool:
                found = await deliveries_of(client, host_token)
                return bool(found) and found[0]["status"] == "SUCCEEDED"

            await eventually(done)
    assert len({request.headers["webhook-id"] for request in requests}) == 1
    assert len({request.body for request in requests}) == 1
    assert all(verify(made["secret"], request) for request in requests)
    (delivery,) = await deliveries_of(client, host_token)
    attempts = [edge["node"] for edge in delivery["attempts"]["edges"]]
    assert [a["statusCode"] for a in attempts] == [500, 503, 200]
    assert [a["succeeded"] for a in attempts] == [False, False, True]
    assert attempts[0]["error"] == "HTTP 500"
    assert delivery["attemptCount"] == 3
    # The schedule's waits were kept: 0.5 s before the second attempt, 1 s before the third.
    times = [_seconds(a["attemptedAt"]) for a in attempts]
    assert times[1] - times[0] >= 0.45 and times[2] - times[1] >= 0.95


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


async def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_emailed(
    db, host, guest, host_token, client, start_work, smtp_sink
):
    listing_id = await make_listing(db, host, **MANY_HOLDS)
    with running_receiver(default=500) as receiver:
        made = await create_endpoint(client, host_token, receiver.url, ["RESERVATION_CREATED"])
        endpoint_id = made["endpoint"]["id"]
        async with start_work(
            webhook_retry_seconds="0.2", webhook_disable_after_failed_deliveries=2
        ):
            await book(db, guest, listing_id, in_days(10), as_the_api_does=True)
            await book(db, guest, listing_id, in_days(20), as_the_api_does=True)
            await wait_for(receiver, 4)  # two deliveries, two attempts each

            def told(messages) -> bool:
                return any("webhook endpoint was disabled" in str(m["Subject"]) for m in messages)

            messages = await smtp_sink.wait_for(told)
            listed = await endpoints(client, host_token)
            endpoint = listed["edges"][0]["node"]
            assert endpoint["enabled"] is False
            assert "2 deliveries in a row" in endpoint["disabledReason"]
            notice = next(m for m in messages if "disabled" in str(m["Subject"]))
            assert "Hannah Host" in str(notice["To"])
            assert receiver.url in notice.get_content()

            # Disabled: a new event is kept, not sent.
            await book(db, guest, listing_id, in_days(30), as_the_api_does=True)

            async def kept() -> bool:
                found = await deliveries_of(client, host_token)
                return len(found) == 3

            await eventually(kept)
            await asyncio.sleep(0.5)
            assert len(receiver.received) == 4
            statuses = sorted(d["status"] for d in await deliveries_of(client, host_token))
            assert statuses == ["FAILED", "FAILED", "PENDING"]

            # Fixed and enabled again: what was kept goes out at once.
            receiver.default = 200
            enable = {"id": endpoint_id, "enabled": True}
            answer = await client(UPDATE, {"input": enable}, token=host_token)
            assert answer.data["updateWebhookEndpoint"]["endpoint"]["failedDeliveries"] == 0
            requests = await wait_for(receiver, 5)
            assert json.loads(requests[-1].body)["type"] == "reservation.created"
    assert sum("disabled" in str(m["Subject"]) for m in smtp_sink.messages) == 1


async def test_replay_sends_a_delivery_again_as_it_was(
    db, host, guest, host_token, client, start_work
):
    listing_id = await make_listing(db, host)
    with running_receiver() as receiver:
        made = await create_endpoint(client, host_token, receiver.url, ["RESERVATION_CREATED"])
        async with start_work():
            await book(db, guest, listing_id, in_days(10), as_the_api_does=True)
            (first,) = await wait_for(receiver, 1)

            async def succeeded() -> bool:
                found = await deliveries_of(client, host_token)
                return bool(found) and found[0]["status"] == "SUCCEEDED"

            await eventually(succeeded)
            (delivery,) = await deliveries_of(client, host_token)
            rotated = await client(ROTATE, {"id": made["endpoint"]["id"]}, token=host_token)
            new_secret = rotated.data["rotateWebhookSecret"]["secret"]
            answer = await client(REPLAY, {"id": delivery["id"]}, token=host_token)
            replayed = answer.data["replayWebhookDelivery"]
            assert replayed["errors"] == [] and replayed["delivery"]["status"] == "PENDING"
            second = (await wait_for(receiver, 2))[1]
            await eventually(succeeded)
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert second.body == first.body
    # Signed with the secret rotated in between, no longer the old one.
    assert verify(new_secret, second) and not verify(made["secret"], second)
    (delivery,) = await deliveries_of(client, host_token)
    assert delivery["attempts"]["totalCount"] == 2


PAY = """
mutation($id: ID!) {
  payReservation(id: $id, idempotencyKey: "pay-1") {
    reservation { status } errors { code message }
  }
}
"""


async def test_a_payment_is_an_event_of_its_own(
    db, host, guest, guest_token, host_token, client, start_work
):
    listing_id = await make_listing(db, host)
    with running_receiver() as receiver:
        await create_endpoint(client, host_token, receiver.url, ["PAYMENT_RECORDED"])
        async with start_work():
            row = await book(db, guest, listing_id, in_days(10), as_the_api_does=True)
            answer = await client(PAY, {"id": str(row.id)}, token=guest_token)
            assert answer.data["payReservation"]["errors"] == []
            (request,) = await wait_for(receiver, 1)
            await asyncio.sleep(0.5)  # reservation.created and .confirmed: not asked for
            assert len(receiver.received) == 1
    body = json.loads(request.body)
    assert body["type"] == "payment.recorded"
    assert body["data"]["payment"]["status"] == "PAID"
    assert body["data"]["reservation"]["databaseId"] == str(row.id)
