"""Webhook endpoint flows: the URL is checked (and resolved) before the transaction, so no
network wait holds one open."""

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.sealed import SecretBox
from bookwell.flows.transaction import in_one_transaction
from bookwell.services.accounts.principal import Principal
from bookwell.services.webhooks import deliveries, delivery_log, endpoints
from bookwell.services.webhooks.addresses import check_reachable
from bookwell.services.webhooks.records import DeliveryRecord, EndpointRecord


async def create_endpoint(
    db: Database,
    *,
    principal: Principal,
    url: str,
    events: Sequence[str],
    listing_ids: Sequence[uuid.UUID] | None,
    is_global: bool,
    allow_http_loopback: bool,
    box: SecretBox,
) -> tuple[EndpointRecord, str]:
    endpoints.may_register(principal)
    checked = await check_reachable(url, allow_http_loopback=allow_http_loopback)
    return await in_one_transaction(
        db,
        lambda session: endpoints.create_endpoint(
            session=session,
            principal=principal,
            url=checked,
            events=events,
            listing_ids=listing_ids,
            is_global=is_global,
            box=box,
        ),
    )


async def update_endpoint(
    db: Database,
    *,
    principal: Principal,
    endpoint_id: uuid.UUID,
    enabled: bool | None,
    events: Sequence[str] | None,
    url: str | None,
    allow_http_loopback: bool,
) -> EndpointRecord:
    checked = None
    if url is not None:
        checked = await check_reachable(url, allow_http_loopback=allow_http_loopback)

    async def work(session: AsyncSession) -> EndpointRecord:
        before = await endpoints.endpoint_of(
            session=session, principal=principal, endpoint_id=endpoint_id, lock=True
        )
        after = await endpoints.update_endpoint(
            session=session,
            principal=principal,
            endpoint_id=endpoint_id,
            enabled=enabled,
            events=events,
            url=checked,
        )
        if after.enabled and not before.enabled:  # what was kept meanwhile goes out now
            await deliveries.resend(session=session, endpoint_id=endpoint_id)
        return after

    return await in_one_transaction(db, work)


async def rotate_secret(
    db: Database, *, principal: Principal, endpoint_id: uuid.UUID, box: SecretBox
) -> tuple[EndpointRecord, str]:
    return await in_one_transaction(
        db,
        lambda session: endpoints.rotate_secret(
            session=session, principal=principal, endpoint_id=endpoint_id, box=box
        ),
    )


async def delete_endpoint(
    db: Database, *, principal: Principal, endpoint_id: uuid.UUID
) -> EndpointRecord:
    return await in_one_transaction(
        db,
        lambda session: endpoints.delete_endpoint(
            session=session, principal=principal, endpoint_id=endpoint_id
        ),
    )


async def replay_delivery(
    db: Database, *, principal: Principal, delivery_id: uuid.UUID
) -> DeliveryRecord:
    """PENDING again and due now; the relay's webhook sweep (or the caller) sends it."""
    return await in_one_transaction(
        db,
        lambda session: delivery_log.replay(
            session=session, principal=principal, delivery_id=delivery_id
        ),
    )


async def purge_completed_deliveries(db: Database, *, older_than: timedelta) -> int:
    return await in_one_transaction(
        db, lambda session: delivery_log.purge_completed(session=session, older_than=older_than)
    )


async def reseal_secrets(db: Database, *, box: SecretBox) -> int:
    """All or nothing: a secret no key opens leaves every row as it was."""
    return await in_one_transaction(
        db, lambda session: endpoints.reseal_secrets(session=session, box=box)
    )
