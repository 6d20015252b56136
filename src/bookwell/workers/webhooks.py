"""Webhook work in the worker: make an outbox event's deliveries (after its emails, in the
same actor), send each one (its own actor on the `webhooks` queue, so a slow endpoint never
holds up email), schedule its retries, and tell an owner whose endpoint was disabled.

Retries are Dramatiq messages delayed to the time the delivery row says (a schedule of our
own, Standard Webhooks' by default: BOOKWELL_WEBHOOK_RETRY_SECONDS). A message that was lost
is made good by the sweep (`sweep_webhooks`, run by the relay), which sends again every
delivery overdue by a minute and every owner email not sent.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.core.sealed import SealedSecretError, webhook_box
from bookwell.mail import Mailer
from bookwell.services.webhooks import deliveries, owner_notice
from bookwell.services.webhooks.deliveries import Rules
from bookwell.services.webhooks.sender import send

log = logging.getLogger(__name__)

# How long past its due time a pending delivery counts as lost to the queue.
OVERDUE = timedelta(seconds=60)

Schedule = Callable[[uuid.UUID, float], None]
"""Sends the delivery's message, delayed by that many seconds (blocking)."""


def rules_of(settings: Settings) -> Rules:
    return Rules(
        retry_delays=settings.webhook_retry_delays,
        disable_after_failed_deliveries=settings.webhook_disable_after_failed_deliveries,
        disable_after=timedelta(hours=settings.webhook_disable_after_hours),
    )


async def make_deliveries(db: Database, outbox_id: int) -> list[uuid.UUID]:
    """The event's deliveries (made once), those still pending."""
    async with db.transaction() as session:
        return await deliveries.fan_out(session=session, outbox_id=outbox_id)


async def deliver_webhook(
    db: Database, mailer: Mailer, settings: Settings, delivery_id: uuid.UUID
) -> float | None:
    """One attempt at the delivery if it is due; the seconds until its retry (None: none)."""
    lease = timedelta(seconds=settings.webhook_timeout_seconds + 30)
    try:
        async with db.transaction() as session:
            claimed = await deliveries.claim(
                session=session, delivery_id=delivery_id, lease=lease, box=webhook_box(settings)
            )
    except SealedSecretError as error:  # nothing leased or recorded: it goes once keys match
        log.error("webhook delivery %s not sent: its endpoint's secret: %s", delivery_id, error)
        raise
    if claimed is None:
        return None
    attempt = await send(
        claimed,
        allow_http_loopback=settings.webhooks_allow_http_loopback,
        timeout_seconds=settings.webhook_timeout_seconds,
    )
    async with db.transaction() as session:
        outcome = await deliveries.record_attempt(
            session=session, claimed=claimed, attempt=attempt, rules=rules_of(settings)
        )
    log.info(
        "webhook delivery %s attempt %d: %s",
        delivery_id,
        claimed.attempt_count + 1,
        "ok" if attempt.succeeded else attempt.error,
    )
    if outcome.disabled:
        log.warning("webhook endpoint %s disabled after repeated failures", claimed.endpoint_id)
        try:
            await tell_owner(db, mailer, settings, claimed.endpoint_id)
        except Exception as error:  # the mail server is away: the sweep tries again
            log.warning("could not email the owner of %s: %s", claimed.endpoint_id, error)
    return outcome.retry_in


async def tell_owner(
    db: Database, mailer: Mailer, settings: Settings, endpoint_id: uuid.UUID
) -> bool:
    """Email the owner of a disabled endpoint, once; whether an email went out."""
    async with db.transaction() as session:
        disabled = await owner_notice.claim_notice(session=session, endpoint_id=endpoint_id)
        if disabled is None:
            return False
        await mailer.send(owner_notice.compose_notice(disabled, sender=settings.mail_from))
    return True


async def sweep_webhooks(
    db: Database, mailer: Mailer, settings: Settings, schedule: Schedule
) -> int:
    """Send again the deliveries whose message was lost, and the owner emails not sent;
    how many deliveries were sent again."""
    async with db.read() as session:
        lost = await deliveries.overdue(session=session, late=OVERDUE)
        untold = await owner_notice.untold(session=session)
    for delivery_id in lost:
        await asyncio.to_thread(schedule, delivery_id, 0.0)
    for endpoint_id in untold:
        try:
            await tell_owner(db, mailer, settings, endpoint_id)
        except Exception as error:  # the mail server is away: the next sweep tries again
            log.warning("could not email the owner of webhook endpoint %s: %s", endpoint_id, error)
    if lost:
        log.warning("sent %d webhook delivery message(s) again: they were lost", len(lost))
    return len(lost)


async def run_webhook_sweep(
    db: Database,
    mailer: Mailer,
    settings: Settings,
    schedule: Schedule,
    *,
    stop: asyncio.Event,
    every: float = 30.0,
) -> None:
    while not stop.is_set():
        try:
            await sweep_webhooks(db, mailer, settings, schedule)
        except Exception as error:
            log.warning("webhook sweep failed (will retry): %s", error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
