"""Deliveries: one per (endpoint, outbox event), made when the event is delivered; each
attempt recorded; retries on a schedule kept in the row (`next_attempt_at`); an endpoint
that keeps failing disabled.

A worker claims a due delivery by pushing `next_attempt_at` past the time an attempt can
take (a lease): a second message for it finds it not due and does nothing, and a worker
that dies mid-attempt leaves it due again once the lease runs out.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.sealed import SecretBox, endpoint_context
from bookwell.models import (
    DeliveryStatus,
    OutboxMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    new_id,
)
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event
from bookwell.services.webhooks.events import event_facts, new_message_id, webhook_event

# A message may reach the worker this much before the row says the retry is due (the
# queue's clock and the database's differ a little).
EARLY = timedelta(seconds=2)


async def fan_out(*, session: AsyncSession, outbox_id: int) -> list[uuid.UUID]:
    """A delivery of the outbox event for every endpoint that hears of it (once:
    a second call adds none); the ids of the event's deliveries still pending. A
    `webhooks.due` event names deliveries due now instead (`resend`)."""
    found = (
        await session.execute(
            select(OutboxMessage.event, OutboxMessage.data).where(OutboxMessage.id == outbox_id)
        )
    ).one_or_none()
    if found is None:
        return []
    if found.event == Event.WEBHOOKS_DUE.value:
        return await _due_now(session, found.data)
    if webhook_event(found.event) is None:
        return []  # reminders, warnings: not for endpoints
    facts = await event_facts(session=session, outbox_id=outbox_id)
    if facts is None:
        return []
    event = facts.event
    # A disabled endpoint's deliveries are kept, unsent, until it is enabled again.
    hears = select(WebhookEndpoint.id).where(
        WebhookEndpoint.events.contains([event.value]),
        or_(WebhookEndpoint.is_global, WebhookEndpoint.owner_id == facts.owner_id),
        or_(
            WebhookEndpoint.listing_ids.is_(None),
            WebhookEndpoint.listing_ids.contains([facts.listing_id]),
        ),
    )
    endpoint_ids = list((await session.execute(hears)).scalars())
    if endpoint_ids:
        body = facts.body
        rows = [
            {
                "id": new_id(),
                "endpoint_id": endpoint_id,
                "outbox_id": outbox_id,
                "event": event.value,
                "message_id": new_message_id(),
                "payload": body,
                "next_attempt_at": func.now(),
            }
            for endpoint_id in endpoint_ids
        ]
        await session.execute(insert(WebhookDelivery).values(rows).on_conflict_do_nothing())
    pending = select(WebhookDelivery.id).where(
        WebhookDelivery.outbox_id == outbox_id,
        WebhookDelivery.status == DeliveryStatus.PENDING,
    )
    return list((await session.execute(pending)).scalars())


async def resend(
    *,
    session: AsyncSession,
    delivery_id: uuid.UUID | None = None,
    endpoint_id: uuid.UUID | None = None,
) -> None:
    """Have the pending delivery (or all of an endpoint's) sent now, through the outbox:
    the relay hands the event to a worker as soon as the caller's transaction commits."""
    pending = WebhookDelivery.status == DeliveryStatus.PENDING
    chosen = (
        WebhookDelivery.id == delivery_id
        if delivery_id is not None
        else WebhookDelivery.endpoint_id == endpoint_id
    )
    await session.execute(
        update(WebhookDelivery).where(pending, chosen).values(next_attempt_at=func.now())
    )
    named = {"delivery_id": str(delivery_id)} if delivery_id else {"endpoint_id": str(endpoint_id)}
    await outbox.record(session=session, event=Event.WEBHOOKS_DUE, data=named)


async def _due_now(session: AsyncSession, named: dict[str, str]) -> list[uuid.UUID]:
    """The pending deliveries a `webhooks.due` event names."""
    stmt = select(WebhookDelivery.id).where(WebhookDelivery.status == DeliveryStatus.PENDING)
    if "delivery_id" in named:
        stmt = stmt.where(WebhookDelivery.id == uuid.UUID(named["delivery_id"]))
    else:
        stmt = stmt.where(WebhookDelivery.endpoint_id == uuid.UUID(named["endpoint_id"]))
    return list((await session.execute(stmt)).scalars())


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a worker holds for one attempt, with what it needs to send it (the
    endpoint's secret in clear: it is never stored so)."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secret: str
    message_id: str
    payload: str
    attempt_count: int


async def claim(
    *, session: AsyncSession, delivery_id: uuid.UUID, lease: timedelta, box: SecretBox
) -> Claimed | None:
    """The delivery, if it is pending, due and its endpoint enabled, leased for one attempt;
    else None (done, not due, held by another worker, or its endpoint disabled). Its
    endpoint's secret is opened with `box` (SealedSecretError, with nothing leased, if this
    server's keys cannot)."""
    stmt = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= func.now() + EARLY,
            WebhookEndpoint.id == WebhookDelivery.endpoint_id,
            WebhookEndpoint.enabled,
        )
        .values(next_attempt_at=func.now() + lease)
        .returning(
            WebhookDelivery.id,
            WebhookEndpoint.id,
            WebhookEndpoint.url,
            WebhookEndpoint.secret,
            WebhookDelivery.message_id,
            WebhookDelivery.payload,
            WebhookDelivery.attempt_count,
        )
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    claimed = Claimed(*row)
    secret = box.open(claimed.secret, context=endpoint_context(claimed.endpoint_id))
    return replace(claimed, secret=secret)


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST went."""

    succeeded: bool
    status_code: int | None
    duration_ms: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What follows an attempt: a retry in `retry_in` seconds (None: none), and whether
    this attempt disabled the endpoint."""

    retry_in: float | None
    disabled: bool


@dataclass(frozen=True, slots=True)
class Rules:
    retry_delays: Sequence[float]
    disable_after_failed_deliveries: int
    disable_after: timedelta


async def record_attempt(
    *, session: AsyncSession, claimed: Claimed, attempt: Attempt, rules: Rules
) -> Outcome:
    """Write the attempt, move the delivery on (done, failed, or its next attempt due), and
    keep the endpoint's failure count, disabling it when it has failed too long. Nothing
    when the delivery was deleted meanwhile (with its endpoint)."""
    still_there = select(WebhookDelivery.id).where(WebhookDelivery.id == claimed.id)
    if (await session.execute(still_there.with_for_update())).first() is None:
        return Outcome(retry_in=None, disabled=False)
    await session.execute(
        insert(WebhookAttempt).values(
            id=new_id(),
            delivery_id=claimed.id,
            succeeded=attempt.succeeded,
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            error=attempt.error[:500] if attempt.error else None,
        )
    )
    attempts = claimed.attempt_count + 1
    endpoint = WebhookEndpoint.__table__.c
    if attempt.succeeded:
        await _move(session, claimed.id, attempts, DeliveryStatus.SUCCEEDED, None)
        await session.execute(
            update(WebhookEndpoint)
            .where(endpoint.id == claimed.endpoint_id)
            .values(failed_deliveries=0, failing_since=None)
        )
        return Outcome(retry_in=None, disabled=False)
    retry_in = rules.retry_delays[attempts - 1] if attempts <= len(rules.retry_delays) else None
    if retry_in is None:
        await _move(session, claimed.id, attempts, DeliveryStatus.FAILED, None)
    else:
        await _move(session, claimed.id, attempts, DeliveryStatus.PENDING, retry_in)
    gave_up = 1 if retry_in is None else 0
    failing = (
        update(WebhookEndpoint)
        .where(endpoint.id == claimed.endpoint_id)
        .values(
            failed_deliveries=endpoint.failed_deliveries + gave_up,
            failing_since=func.coalesce(endpoint.failing_since, func.now()),
        )
        .returning(endpoint.failed_deliveries, endpoint.failing_since, func.now())
    )
    failed_deliveries, failing_since, now = (await session.execute(failing)).one()
    reason = None
    if failed_deliveries >= rules.disable_after_failed_deliveries:
        reason = f"{failed_deliveries} deliveries in a row failed every attempt."
    elif now - failing_since >= rules.disable_after:
        hours = rules.disable_after.total_seconds() / 3600
        reason = f"Every attempt failed for over {hours:g} hours."
    if reason is None:
        return Outcome(retry_in=retry_in, disabled=False)
    disabled = await session.execute(
        update(WebhookEndpoint)
        .where(endpoint.id == claimed.endpoint_id, endpoint.enabled)
        .values(enabled=False, disabled_at=func.now(), disabled_reason=reason)
        .returning(endpoint.id)
    )
    # Its pending deliveries wait, unsent, until the owner enables it again.
    return Outcome(retry_in=None, disabled=disabled.first() is not None)


async def _move(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    attempts: int,
    status: DeliveryStatus,
    retry_in: float | None,
) -> None:
    done = status is not DeliveryStatus.PENDING
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            attempt_count=attempts,
            status=status,
            next_attempt_at=None if done else func.now() + timedelta(seconds=retry_in or 0),
            completed_at=func.now() if done else None,
        )
    )


async def overdue(*, session: AsyncSession, late: timedelta, limit: int = 500) -> list[uuid.UUID]:
    """Pending deliveries of enabled endpoints due over `late` ago: their message was lost
    (or their endpoint was enabled again)."""
    stmt = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at < func.now() - late,
            WebhookEndpoint.enabled,
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())
