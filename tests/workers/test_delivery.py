"""Outbox -> relay -> Dramatiq on a real Redis -> worker -> a real SMTP server."""

import asyncio

import pytest

from bookwell.workers import status
from bookwell.workers.background import BackgroundWork
from bookwell.workers.relay import relay_batch
from tests.factories import MANY_HOLDS, book, in_days, make_listing, make_user
from tests.workers.queue_helpers import (
    addressed_to,
    eventually,
    forget_queue,
    queue_settings,
    scalar,
)


@pytest.fixture
def queue_config(settings, redis_server_url, queue_namespace, smtp_sink):
    return queue_settings(
        settings, redis_url=redis_server_url, namespace=queue_namespace, smtp_url=smtp_sink.url
    )


@pytest.fixture
async def running(queue_config, database_url):
    work = BackgroundWork(queue_config, database_url=database_url, redis_url=queue_config.redis_url)
    await work.start()
    yield work
    await work.stop()
    forget_queue(work.broker.client, queue_config.queue_namespace)


async def test_a_booking_emails_the_owner_and_the_guest_once(db, host, guest, running, smtp_sink):
    listing_id = await make_listing(db, host, title="Harbour View Loft", timezone="Europe/Lisbon")
    row = await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
    host_email = await scalar(db, "SELECT email FROM users WHERE id = :id", id=host.user_id)
    guest_email = await scalar(db, "SELECT email FROM users WHERE id = :id", id=guest.user_id)

    messages = await smtp_sink.wait_for(lambda got: len(got) >= 2)
    to_host, to_guest = addressed_to(messages, host_email), addressed_to(messages, guest_email)
    assert len(to_host) == len(to_guest) == 1
    for message in (to_host[0], to_guest[0]):
        assert "Harbour View Loft" in message["Subject"]
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Europe/Lisbon" in plain and "Harbour View Loft" in html
        calendars = [part for part in message.iter_attachments() if part.get_filename()]
        assert [part.get_content_type() for part in calendars] == ["text/calendar"]
    assert "Gus Guest" in to_host[0].get_body(("plain",)).get_content()

    async def delivered() -> bool:
        return await scalar(db, "SELECT delivered_at IS NOT NULL FROM outbox") is True

    await eventually(delivered)
    assert await scalar(db, "SELECT count(*) FROM notification_log") == 2

    # The same message again (a redelivery): the log answers, nobody is emailed twice.
    outbox_id = await scalar(db, "SELECT id FROM outbox WHERE reservation_id = :id", id=row.id)
    running.actors.deliver_notification.send(outbox_id)
    await asyncio.to_thread(running.broker.join, "notifications", timeout=20_000)
    await asyncio.sleep(0.3)
    assert len(smtp_sink.messages) == 2


async def test_a_rolled_back_booking_sends_nothing(db, host, guest, running, smtp_sink):
    listing_id = await make_listing(db, host)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.transaction() as session:
            from bookwell.services.booking import reservations
            from bookwell.services.booking.reservations import NewReservation
            from bookwell.services.listings.stays import today_in

            data = NewReservation(listing_id=listing_id, start_date=today_in("UTC"), nights=1)
            await reservations.create_reservation(session=session, guest=guest, data=data)
            raise Abort
    other = await make_user(db, name="Olga Other")
    await book(
        db, other, listing_id, in_days(30), nights=2, as_the_api_does=True
    )  # a booking that commits, as a marker
    messages = await smtp_sink.wait_for(lambda got: len(got) >= 2)
    await asyncio.sleep(0.5)
    assert len(smtp_sink.messages) == 2
    assert all("Olga Other" in m.get_body(("plain",)).get_content() for m in messages)


async def test_check_availability_answers_as_the_api_does(db, host, guest, running, client):
    listing_id = await make_listing(db, host, units=3)
    row = await book(db, guest, listing_id, in_days(5), nights=3, as_the_api_does=True)
    args = (str(listing_id), row.start_date.isoformat(), row.end_date.isoformat(), 2)
    message = running.actors.check_availability.send(*args)
    results = running.broker.get_results_backend()
    answer = await asyncio.to_thread(results.get_result, message, block=True, timeout=20_000)

    query = """query($id: ID!, $s: Date!, $e: Date!, $q: Int!) {
      availability(listingId: $id, startDate: $s, endDate: $e, quantity: $q) {
        listingId startDate endDate quantity available freeUnits } }"""
    api = await client(query, {"id": args[0], "s": args[1], "e": args[2], "q": 2})
    assert answer == api.data["availability"]
    assert answer["freeUnits"] == 2

    missing = running.actors.check_availability.send(
        "00000000-0000-7000-8000-000000000000", *args[1:]
    )
    refused = await asyncio.to_thread(results.get_result, missing, block=True, timeout=20_000)
    assert refused["errors"][0]["code"] == "NOT_FOUND"


async def test_a_message_that_keeps_failing_is_dead_lettered_and_shown(
    db, host, guest, settings, redis_server_url, queue_namespace, database_url
):
    # An SMTP server that is not there: every attempt fails.
    config = queue_settings(
        settings,
        redis_url=redis_server_url,
        namespace=queue_namespace,
        smtp_url="smtp://127.0.0.1:9",
        queue_max_retries=1,
    )
    work = BackgroundWork(config, database_url=database_url, redis_url=redis_server_url)
    await work.start()
    try:
        listing_id = await make_listing(db, host)
        await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)

        async def dead() -> bool:
            return len(await asyncio.to_thread(status.dead_letters, work.broker)) == 1

        await eventually(dead, within=60)
        report = await status.outbox_status(db, work.broker, max_relays=3)
        assert report.unrelayed == 0 and report.notifications_sent == 0
        assert (report.relayed, report.not_done, report.given_up) == (1, 1, 0)
        [letter] = report.dead
        assert letter.actor == "deliver_notification" and letter.retries == 1
        assert letter.error  # the last line of the traceback says why
    finally:
        await work.stop()
    assert await asyncio.to_thread(status.requeue_dead, work.broker) == 1
    assert await asyncio.to_thread(status.dead_letters, work.broker) == []


async def test_relays_share_the_outbox_without_sending_a_row_twice(db, host, guest):
    listing_id = await make_listing(db, host, units=50, **MANY_HOLDS)
    for day in range(20):
        await book(db, guest, listing_id, in_days(10 + day), nights=1, as_the_api_does=True)
    sent: list[int] = []
    counts = await asyncio.gather(*(relay_batch(db, sent.extend, limit=3) for _ in range(6)))
    assert sum(counts) == len(sent) == len(set(sent)) == 18
