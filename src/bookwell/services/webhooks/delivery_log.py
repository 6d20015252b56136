"""What was sent: an endpoint's deliveries and their attempts, seen by the endpoint's
owner (or an admin), replayed on request, and forgotten once old."""

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, not_found
from bookwell.core.pagination import Page, PageRequest, keyset, page_of
from bookwell.core.records import build_all
from bookwell.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from bookwell.services.accounts.principal import Principal
from bookwell.services.webhooks.deliveries import resend
from bookwell.services.webhooks.endpoints import endpoint_of
from bookwell.services.webhooks.records import (
    ATTEMPT_COLUMNS,
    DELIVERY_COLUMNS,
    AttemptRecord,
    DeliveryRecord,
)


async def delivery_of(
    *, session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> DeliveryRecord:
    """The delivery, if the principal may see its endpoint; else NOT_FOUND."""
    row = (
        await session.execute(select(*DELIVERY_COLUMNS).where(WebhookDelivery.id == delivery_id))
    ).one_or_none()
    if row is None:
        raise not_found("webhook delivery")
    delivery = DeliveryRecord(*row)
    try:
        await endpoint_of(session=session, principal=principal, endpoint_id=delivery.endpoint_id)
    except DomainError:
        raise not_found("webhook delivery") from None
    return delivery


async def replay(
    *, session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> DeliveryRecord:
    """Send the delivery again, as it was (same webhook-id and body), with a fresh
    schedule of retries; its attempts so far stay listed."""
    delivery = await delivery_of(session=session, principal=principal, delivery_id=delivery_id)
    endpoint = await endpoint_of(
        session=session, principal=principal, endpoint_id=delivery.endpoint_id
    )
    if not endpoint.enabled:
        raise DomainError(
            ErrorCode.INVALID_STATE, "The endpoint is disabled: enable it first.", "id"
        )
    stmt = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            status=DeliveryStatus.PENDING,
            attempt_count=0,
            next_attempt_at=func.now(),
            completed_at=None,
        )
        .returning(*DELIVERY_COLUMNS)
    )
    replayed = DeliveryRecord(*(await session.execute(stmt)).one())
    await resend(session=session, delivery_id=delivery_id)
    return replayed


async def list_deliveries(
    *, session: AsyncSession, endpoint_id: uuid.UUID, page: PageRequest
) -> Page[DeliveryRecord]:
    """An endpoint's deliveries, newest first (callers check the endpoint is visible)."""
    stmt = select(*DELIVERY_COLUMNS).where(WebhookDelivery.endpoint_id == endpoint_id)
    stmt = keyset(stmt, WebhookDelivery.id, page, descending=True)
    return page_of(build_all(DeliveryRecord, await session.execute(stmt)), page)


async def count_deliveries(*, session: AsyncSession, endpoint_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(WebhookDelivery.endpoint_id == endpoint_id)
    return (await session.execute(stmt)).scalar_one()


async def list_attempts(
    *, session: AsyncSession, delivery_id: uuid.UUID, page: PageRequest
) -> Page[AttemptRecord]:
    """A delivery's attempts, oldest first (callers check the delivery is visible)."""
    stmt = select(*ATTEMPT_COLUMNS).where(WebhookAttempt.delivery_id == delivery_id)
    stmt = keyset(stmt, WebhookAttempt.id, page)
    return page_of(build_all(AttemptRecord, await session.execute(stmt)), page)


async def count_attempts(*, session: AsyncSession, delivery_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(WebhookAttempt.delivery_id == delivery_id)
    return (await session.execute(stmt)).scalar_one()


async def attempts_seen_by(
    *, session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID]
) -> list[AttemptRecord]:
    """Attempts by id, of endpoints the principal may see (own; an admin: all)."""
    stmt = (
        select(*ATTEMPT_COLUMNS)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookAttempt.id.in_(ids))
    )
    if not principal.is_admin:
        stmt = stmt.where(WebhookEndpoint.owner_id == principal.user_id)
    return build_all(AttemptRecord, await session.execute(stmt))


async def purge_completed(*, session: AsyncSession, older_than: timedelta) -> int:
    """Forget deliveries (and their attempts) that succeeded or failed over `older_than`
    ago; pending ones stay whatever their age."""
    stmt = (
        delete(WebhookDelivery)
        .where(WebhookDelivery.completed_at < func.now() - older_than)
        .returning(WebhookDelivery.id)
    )
    return len((await session.execute(stmt)).all())
