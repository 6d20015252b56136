"""The actors, declared on a given broker. They take ids, never objects, and are idempotent:
a redelivered message finds its work done (workers/delivery.py)."""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from structlog.contextvars import bind_contextvars

from bookwell.core.db import secret_key
from bookwell.core.errors import DomainError, not_found
from bookwell.core.ids import database_id_of, global_id
from bookwell.observability.dramatiq_context import (
    carry_context,
    outbox_event,
    worker_middleware,
)
from bookwell.services.booking.manage_tokens import ManageTokens
from bookwell.services.listings import availability as availability_service
from bookwell.services.listings.stays import check_quantity, stay
from bookwell.workers.broker import NOTIFICATIONS, QUERIES, WEBHOOKS
from bookwell.workers.delivery import deliver
from bookwell.workers.runtime import CloseRuntime, WorkerRuntime
from bookwell.workers.webhooks import deliver_webhook, make_deliveries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actors:
    deliver_notification: dramatiq.Actor
    check_availability: dramatiq.Actor
    deliver_webhook: dramatiq.Actor

    def schedule_webhook(self, delivery_id: uuid.UUID, delay_seconds: float) -> None:
        """Send the delivery's message, `delay_seconds` from now."""
        delay = int(delay_seconds * 1000) or None
        self.deliver_webhook.send_with_options(args=(str(delivery_id),), delay=delay)


async def availability_answer(
    runtime: WorkerRuntime, listing_id: str, start_date: str, end_date: str, quantity: int
) -> dict[str, Any]:
    """The API's `availability` answer as JSON (same field names), or its errors."""
    parsed = database_id_of(listing_id, "Listing")  # a global id or a bare UUID
    try:
        check_quantity(quantity)
        checked = stay(date.fromisoformat(start_date), date.fromisoformat(end_date))
        found = None
        if parsed is not None:
            async with runtime.db.read() as session:
                answers = await availability_service.availability(
                    session=session, listing_ids=[parsed], stay=checked, quantity=quantity
                )
            found = answers.get(parsed)
        if found is None:
            raise not_found("listing", "listingId")
    except DomainError as error:
        problem = {"code": error.code.value, "field": error.field, "message": error.message}
        return {"errors": [problem]}
    return {
        "listingId": global_id("Listing", found.listing_id),
        "startDate": found.start_date.isoformat(),
        "endDate": found.end_date.isoformat(),
        "quantity": found.quantity,
        "available": found.available,
        "freeUnits": found.free_units,
    }


def declare_actors(broker: RedisBroker, runtime: WorkerRuntime) -> Actors:
    broker.add_middleware(CloseRuntime(runtime))
    # Request id in message options and the worker's log context; spans when tracing.
    for middleware in worker_middleware(runtime.settings):
        broker.add_middleware(middleware)
    settings = runtime.settings
    # A booking without an account: its guest's emails carry the manage link (17.7).
    manage_links = ManageTokens.for_settings(settings, secret_key(settings))

    async def deliver_notification(outbox_id: int) -> None:
        bind_contextvars(outbox_id=outbox_id, event=await outbox_event(runtime.db, outbox_id))
        # Deliveries first: made once, they outlive this message (the emails' end stamps the
        # row delivered); a redelivered message sends the pending ones' messages again.
        for delivery_id in await make_deliveries(runtime.db, outbox_id):
            await asyncio.to_thread(actors.schedule_webhook, delivery_id, 0)
        done = await deliver(
            runtime.db,
            runtime.mailer,
            outbox_id,
            sender=settings.mail_from,
            public_url=settings.public_url,
            manage_links=manage_links,
        )
        log.info("outbox %s: %s sent, %s already sent", outbox_id, done.sent, done.already_sent)

    async def check_availability(
        listing_id: str, start_date: str, end_date: str, quantity: int = 1
    ) -> dict[str, Any]:
        return await availability_answer(runtime, listing_id, start_date, end_date, quantity)

    async def send_webhook(delivery_id: str) -> None:
        retry_in = await deliver_webhook(
            runtime.db, runtime.mailer, settings, uuid.UUID(delivery_id)
        )
        if retry_in is not None:
            await asyncio.to_thread(actors.schedule_webhook, uuid.UUID(delivery_id), retry_in)

    actors = Actors(
        # dramatiq's overloads take a function or options, not both: the options' decorator.
        deliver_notification=dramatiq.actor(broker=broker, queue_name=NOTIFICATIONS)(
            carry_context(deliver_notification)
        ),
        check_availability=dramatiq.actor(
            broker=broker, queue_name=QUERIES, store_results=True, max_retries=0
        )(carry_context(check_availability)),
        # The delivery is its own unit of retry (workers/webhooks.py); a message whose work
        # raised (the database away) is retried by Dramatiq, and finds it done or still due.
        deliver_webhook=dramatiq.actor(
            broker=broker, queue_name=WEBHOOKS, actor_name="deliver_webhook"
        )(carry_context(send_webhook)),
    )
    return actors
