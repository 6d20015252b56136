"""The delivery rules against the database: made once per endpoint and event, narrowed by
listing and event, disabled after failing too long, purged when old."""

from datetime import timedelta

from sqlalchemy import text

from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event
from bookwell.services.webhooks import deliveries, delivery_log
from bookwell.services.webhooks.deliveries import Attempt, Rules
from bookwell.services.webhooks.endpoints import create_endpoint
from bookwell.workers.webhooks import sweep_webhooks
from tests.factories import book, in_days, make_listing
from tests.webhooks.helpers import BOX

HOOK = "http://127.0.0.1:9/hook"
FAILED = Attempt(succeeded=False, status_code=500, duration_ms=3, error="HTTP 500")


async def register(db, principal, events=("reservation.created",), listing_ids=None):
    async with db.transaction() as session:
        endpoint, _ = await create_endpoint(
            session=session,
            principal=principal,
            url=HOOK,
            events=list(events),
            listing_ids=listing_ids,
            is_global=False,
            box=BOX,
        )
    return endpoint


async def outbox_id_of(db, reservation_id, event="reservation.created") -> int:
    async with db.read() as session:
        found = await session.execute(
            text("SELECT id FROM outbox WHERE reservation_id = :id AND event = :event"),
            {"id": reservation_id, "event": event},
        )
        return found.scalar_one()


async def fan_out(db, outbox_id) -> list:
    async with db.transaction() as session:
        return await deliveries.fan_out(session=session, outbox_id=outbox_id)


async def test_one_delivery_per_endpoint_and_event_however_often_asked(db, host, guest):
    listing_id = await make_listing(db, host)
    await register(db, host)
    row = await book(db, guest, listing_id, in_days(10))
    outbox_id = await outbox_id_of(db, row.id)
    first = await fan_out(db, outbox_id)
    again = await fan_out(db, outbox_id)
    assert len(first) == 1 and again == first
    async with db.read() as session:
        count = await session.scalar(text("SELECT count(*) FROM webhook_deliveries"))
    assert count == 1


async def test_endpoints_hear_only_their_events_and_listings(db, host, guest):
    chosen = await make_listing(db, host)
    other = await make_listing(db, host)
    await register(db, host, listing_ids=[chosen])
    await register(db, host, events=("reservation.cancelled",))
    on_chosen = await book(db, guest, chosen, in_days(10))
    on_other = await book(db, guest, other, in_days(10))
    assert len(await fan_out(db, await outbox_id_of(db, on_chosen.id))) == 1
    assert await fan_out(db, await outbox_id_of(db, on_other.id)) == []
    async with db.transaction() as session:
        reminder = await outbox.record(
            session=session, event=Event.RESERVATION_REMINDER, reservation_id=on_chosen.id
        )
    assert await fan_out(db, reminder) == []  # not an event endpoints hear of


async def _fail_once(db, delivery_id, rules) -> deliveries.Outcome:
    async with db.transaction() as session:
        claimed = await deliveries.claim(
            session=session, delivery_id=delivery_id, lease=timedelta(seconds=30), box=BOX
        )
        assert claimed is not None
    async with db.transaction() as session:
        return await deliveries.record_attempt(
            session=session, claimed=claimed, attempt=FAILED, rules=rules
        )


async def test_an_endpoint_failing_for_too_long_is_disabled(db, host, guest):
    listing_id = await make_listing(db, host)
    endpoint = await register(db, host)
    row = await book(db, guest, listing_id, in_days(10))
    (delivery_id,) = await fan_out(db, await outbox_id_of(db, row.id))
    rules = Rules(
        retry_delays=(0,) * 10, disable_after_failed_deliveries=99, disable_after=timedelta(hours=1)
    )
    first = await _fail_once(db, delivery_id, rules)
    assert first.retry_in == 0 and first.disabled is False
    # Every attempt has failed for two hours now.
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE webhook_endpoints SET failing_since = now() - interval '2 hours'")
        )
    second = await _fail_once(db, delivery_id, rules)
    assert second.disabled is True and second.retry_in is None
    async with db.read() as session:
        enabled, reason = (
            await session.execute(
                text("SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = :id"),
                {"id": endpoint.id},
            )
        ).one()
        claimed = await deliveries.claim(
            session=session, delivery_id=delivery_id, lease=timedelta(seconds=30), box=BOX
        )
    assert enabled is False and "over 1 hours" in reason
    assert claimed is None  # a disabled endpoint's deliveries are not sent


async def test_old_completed_deliveries_are_purged_pending_ones_kept(db, host, guest):
    listing_id = await make_listing(db, host)
    await register(db, host)
    done = await book(db, guest, listing_id, in_days(10))
    waiting = await book(db, guest, listing_id, in_days(20))
    (done_id,) = await fan_out(db, await outbox_id_of(db, done.id))
    (waiting_id,) = await fan_out(db, await outbox_id_of(db, waiting.id))
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE webhook_deliveries SET status = 'SUCCEEDED', "
                "completed_at = now() - interval '40 days' WHERE id = :id"
            ),
            {"id": done_id},
        )
        await session.execute(
            text("UPDATE webhook_deliveries SET created_at = now() - interval '40 days'")
        )
    async with db.transaction() as session:
        purged = await delivery_log.purge_completed(session=session, older_than=timedelta(days=30))
    assert purged == 1
    async with db.read() as session:
        left = list(await session.scalars(text("SELECT id FROM webhook_deliveries")))
    assert left == [waiting_id]


async def test_an_attempt_on_an_endpoint_deleted_meanwhile_records_nothing(db, host, guest):
    listing_id = await make_listing(db, host)
    endpoint = await register(db, host)
    row = await book(db, guest, listing_id, in_days(10))
    (delivery_id,) = await fan_out(db, await outbox_id_of(db, row.id))
    async with db.transaction() as session:
        claimed = await deliveries.claim(
            session=session, delivery_id=delivery_id, lease=timedelta(seconds=30), box=BOX
        )
    assert claimed is not None
    async with db.transaction() as session:
        await session.execute(
            text("DELETE FROM webhook_endpoints WHERE id = :id"), {"id": endpoint.id}
        )
    rules = Rules(retry_delays=(1,), disable_after_failed_deliveries=1, disable_after=timedelta(1))
    async with db.transaction() as session:
        outcome = await deliveries.record_attempt(
            session=session, claimed=claimed, attempt=FAILED, rules=rules
        )
    assert outcome == deliveries.Outcome(retry_in=None, disabled=False)
    async with db.read() as session:
        assert await session.scalar(text("SELECT count(*) FROM webhook_attempts")) == 0


async def test_the_sweep_sends_lost_deliveries_again_and_tells_untold_owners(
    db, host, guest, settings
):
    listing_id = await make_listing(db, host)
    endpoint = await register(db, host)
    row = await book(db, guest, listing_id, in_days(10))
    (delivery_id,) = await fan_out(db, await outbox_id_of(db, row.id))
    async with db.transaction() as session:  # its message was lost two minutes ago
        await session.execute(
            text("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '2 minutes'")
        )
    scheduled = []
    sent = []

    class Mailer:
        async def send(self, message) -> None:
            sent.append(message)

    assert await sweep_webhooks(db, Mailer(), settings, lambda *call: scheduled.append(call)) == 1
    assert scheduled == [(delivery_id, 0.0)] and sent == []

    # Disabled for failing, its owner not told yet (the mail server was away): told once.
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), "
                "disabled_reason = 'failing' WHERE id = :id"
            ),
            {"id": endpoint.id},
        )
    scheduled.clear()
    await sweep_webhooks(db, Mailer(), settings, lambda *call: scheduled.append(call))
    await sweep_webhooks(db, Mailer(), settings, lambda *call: scheduled.append(call))
    assert scheduled == []  # a disabled endpoint's deliveries wait
    assert len(sent) == 1 and "Hannah Host" in str(sent[0]["To"])
    assert HOOK in sent[0].get_content()
