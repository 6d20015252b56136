"""webhookEndpoints and the mutations that manage endpoints (flows/webhooks.py)."""

import uuid
from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, InputErrors, not_found
from bookwell.core.pagination import page_request
from bookwell.core.sealed import webhook_box
from bookwell.flows import webhooks as webhook_flows
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import counter, errors_as_data, parse_uuid, require_principal
from bookwell.graphql.shared.errors import INPUT, UserError, user_errors
from bookwell.graphql.shared.pagination import After, Before, Connection, First, Last
from bookwell.graphql.webhooks.types import (
    CreateWebhookEndpointInput,
    UpdateWebhookEndpointInput,
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookEndpoint,
    WebhookEndpointId,
    WebhookEndpointPayload,
)
from bookwell.services.accounts.principal import Principal
from bookwell.services.webhooks import delivery_log, endpoints


async def webhook_endpoints(
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[WebhookEndpoint]:
    principal = require_principal(info)
    page = page_request(first, after, last, before)
    async with info.context.db.read() as session:
        found = await endpoints.list_endpoints(session=session, principal=principal, page=page)
    count = counter(info, endpoints.count_endpoints, principal=principal)
    return Connection.of(found, WebhookEndpoint.from_row, count)


def _listing_ids(found: InputErrors, ids: list[strawberry.ID] | None) -> list[uuid.UUID] | None:
    if ids is None:
        return None
    parsed = [parse_uuid(each, "Listing") for each in ids]
    if any(each is None for each in parsed):
        found.add(not_found("listing", "listingIds"))
        return None
    return [each for each in parsed if each is not None]


async def create_webhook_endpoint(
    info: Info,
    input: Annotated[CreateWebhookEndpointInput, strawberry.argument(description="The endpoint.")],
) -> WebhookEndpointPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_ids = _listing_ids(found, input.listing_ids)
    if (error := found.as_error()) is not None:
        return WebhookEndpointPayload(errors=user_errors(error, INPUT))
    made, errors = await errors_as_data(
        webhook_flows.create_endpoint(
            info.context.db,
            principal=principal,
            url=input.url,
            events=[event.value for event in input.events],
            listing_ids=listing_ids,
            is_global=input.is_global,
            allow_http_loopback=info.context.settings.webhooks_allow_http_loopback,
            box=webhook_box(info.context.settings),
        ),
        INPUT,
    )
    if made is None:
        return WebhookEndpointPayload(errors=errors)
    row, secret = made
    return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row), secret=secret)


def _endpoint_id(id: str) -> uuid.UUID | None:
    return parse_uuid(id, "WebhookEndpoint")


def _unknown_endpoint(at: str = "id") -> WebhookEndpointPayload:
    return WebhookEndpointPayload(errors=[UserError.from_domain(not_found("webhook endpoint", at))])


async def update_webhook_endpoint(
    info: Info,
    input: Annotated[
        UpdateWebhookEndpointInput, strawberry.argument(description="What to change.")
    ],
) -> WebhookEndpointPayload:
    principal = require_principal(info)
    endpoint_id = _endpoint_id(input.id)
    if endpoint_id is None:
        return WebhookEndpointPayload(
            errors=user_errors(not_found("webhook endpoint", "id"), INPUT)
        )
    row, errors = await errors_as_data(
        webhook_flows.update_endpoint(
            info.context.db,
            principal=principal,
            endpoint_id=endpoint_id,
            enabled=input.enabled,
            events=None if input.events is None else [event.value for event in input.events],
            url=input.url,
            allow_http_loopback=info.context.settings.webhooks_allow_http_loopback,
        ),
        INPUT,
    )
    return WebhookEndpointPayload(
        endpoint=WebhookEndpoint.from_row(row) if row else None, errors=errors
    )


async def rotate_webhook_secret(info: Info, id: WebhookEndpointId) -> WebhookEndpointPayload:
    principal = require_principal(info)
    endpoint_id = _endpoint_id(id)
    if endpoint_id is None:
        return _unknown_endpoint()
    made, errors = await errors_as_data(
        webhook_flows.rotate_secret(
            info.context.db,
            principal=principal,
            endpoint_id=endpoint_id,
            box=webhook_box(info.context.settings),
        )
    )
    if made is None:
        return WebhookEndpointPayload(errors=errors)
    row, secret = made
    return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row), secret=secret)


async def delete_webhook_endpoint(info: Info, id: WebhookEndpointId) -> WebhookEndpointPayload:
    principal = require_principal(info)
    endpoint_id = _endpoint_id(id)
    if endpoint_id is None:
        return _unknown_endpoint()
    row, errors = await errors_as_data(
        webhook_flows.delete_endpoint(info.context.db, principal=principal, endpoint_id=endpoint_id)
    )
    return WebhookEndpointPayload(
        endpoint=WebhookEndpoint.from_row(row) if row else None, errors=errors
    )


async def replay_webhook_delivery(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The delivery.")],
) -> WebhookDeliveryPayload:
    principal = require_principal(info)
    delivery_id = parse_uuid(id, "WebhookDelivery")
    if delivery_id is None:
        return WebhookDeliveryPayload(errors=[UserError.from_domain(not_found("webhook delivery"))])
    row, errors = await errors_as_data(
        webhook_flows.replay_delivery(info.context.db, principal=principal, delivery_id=delivery_id)
    )
    return WebhookDeliveryPayload(
        delivery=WebhookDelivery.from_row(row) if row else None, errors=errors
    )


async def endpoints_seen_by(
    info: Info, viewer: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, WebhookEndpoint]:
    """For node(id:): the endpoints the viewer may see (own; an admin: all)."""
    found = {}
    async with info.context.db.read() as session:
        for endpoint_id in ids:
            try:
                row = await endpoints.endpoint_of(
                    session=session, principal=viewer, endpoint_id=endpoint_id
                )
            except DomainError:
                continue
            found[row.id] = WebhookEndpoint.from_row(row)
    return found


async def deliveries_seen_by(
    info: Info, viewer: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, WebhookDelivery]:
    """For node(id:): the deliveries of endpoints the viewer may see."""
    found = {}
    async with info.context.db.read() as session:
        for delivery_id in ids:
            try:
                row = await delivery_log.delivery_of(
                    session=session, principal=viewer, delivery_id=delivery_id
                )
            except DomainError:
                continue
            found[row.id] = WebhookDelivery.from_row(row)
    return found
