"""Webhook endpoints, their deliveries and each delivery's attempts, as the API shows them."""

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from bookwell import models
from bookwell.core.ids import global_id
from bookwell.core.pagination import page_request
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import counter
from bookwell.graphql.shared.enums import describe_enum
from bookwell.graphql.shared.errors import UserError
from bookwell.graphql.shared.node import Node
from bookwell.graphql.shared.pagination import After, Before, Connection, First, Last
from bookwell.services.webhooks import delivery_log
from bookwell.services.webhooks.events import WebhookEvent
from bookwell.services.webhooks.records import AttemptRecord, DeliveryRecord, EndpointRecord

describe_enum(
    WebhookEvent,
    name="WebhookEventType",
    description="What an endpoint can hear of; the body's `type` is the lower-case name "
    "with a dot (RESERVATION_CREATED: `reservation.created`).",
    values={
        "RESERVATION_CREATED": "A booking was made (a PENDING hold, or confirmed at once).",
        "RESERVATION_CONFIRMED": "A booking was confirmed (paid on an instant-book listing, "
        "or accepted by the host).",
        "RESERVATION_CHANGED": "A booking's dates or quantity changed; `details` holds the "
        "old ones.",
        "RESERVATION_CANCELLED": "A booking was cancelled; `details.by` says by whom.",
        "RESERVATION_EXPIRED": "A hold ran out unpaid or unanswered.",
        "RESERVATION_NO_SHOW": "A guest was marked a no-show.",
        "PAYMENT_RECORDED": "A booking was paid.",
    },
)
WebhookDeliveryStatus = models.DeliveryStatus
describe_enum(
    WebhookDeliveryStatus,
    name="WebhookDeliveryStatus",
    description="Where a delivery stands.",
    values={
        "PENDING": "Not delivered yet: its next attempt is due at nextAttemptAt (or when "
        "its endpoint is enabled again).",
        "SUCCEEDED": "The endpoint answered 2xx.",
        "FAILED": "Every attempt of its schedule failed; replayWebhookDelivery sends it again.",
    },
)


@strawberry.type(description="One POST of a delivery to its endpoint, and how it went.")
class WebhookAttempt(Node):
    database_id: uuid.UUID = strawberry.field(description="The attempt's UUIDv7 as stored.")
    attempted_at: datetime = strawberry.field(description="When it was made.")
    succeeded: bool = strawberry.field(description="The endpoint answered 2xx.")
    status_code: int | None = strawberry.field(
        description="The HTTP status answered; null when none came (refused, timed out)."
    )
    duration_ms: int = strawberry.field(description="How long the attempt took, in ms.")
    error: str | None = strawberry.field(
        description="Why it failed (an HTTP status, a timeout, a refused address); null on success."
    )

    @classmethod
    def from_row(cls, row: AttemptRecord) -> "WebhookAttempt":
        return cls(
            id=global_id("WebhookAttempt", row.id),
            database_id=row.id,
            attempted_at=row.created_at,
            succeeded=row.succeeded,
            status_code=row.status_code,
            duration_ms=row.duration_ms,
            error=row.error,
        )


@strawberry.type(
    description="One event sent to one endpoint: the signed body, and its attempts. The "
    "`webhook-id` header is `messageId`, the same on every attempt and replay."
)
class WebhookDelivery(Node):
    database_id: uuid.UUID = strawberry.field(description="The delivery's UUIDv7 as stored.")
    event: WebhookEvent = strawberry.field(description="What happened.")
    message_id: str = strawberry.field(description="The webhook-id header sent.")
    payload: str = strawberry.field(description="The JSON body, exactly as sent.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempt_count: int = strawberry.field(
        description="Attempts since it was made (or last replayed)."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due; null once SUCCEEDED or FAILED."
    )
    created_at: datetime = strawberry.field(description="When the event was handed to it.")
    completed_at: datetime | None = strawberry.field(
        description="When it SUCCEEDED or FAILED; null while PENDING."
    )

    @strawberry.field(
        description="Its attempts, oldest first: 20 unless `first` or `last` (1 to 100) "
        "says otherwise."
    )
    async def attempts(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WebhookAttempt]:
        page = page_request(first, after, last, before)
        async with info.context.db.read() as session:
            found = await delivery_log.list_attempts(
                session=session, delivery_id=self.database_id, page=page
            )
        count = counter(info, delivery_log.count_attempts, delivery_id=self.database_id)
        return Connection.of(found, WebhookAttempt.from_row, count)

    @classmethod
    def from_row(cls, row: DeliveryRecord) -> "WebhookDelivery":
        return cls(
            id=global_id("WebhookDelivery", row.id),
            database_id=row.id,
            event=WebhookEvent(row.event),
            message_id=row.message_id,
            payload=row.payload,
            status=row.status,
            attempt_count=row.attempt_count,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
            completed_at=row.completed_at,
        )


@strawberry.type(
    description="An HTTPS address that hears of events on your listings, each POST signed "
    "as Standard Webhooks says (webhook-id, webhook-timestamp, webhook-signature) with its "
    "secret."
)
class WebhookEndpoint(Node):
    database_id: uuid.UUID = strawberry.field(description="The endpoint's UUIDv7 as stored.")
    url: str = strawberry.field(description="Where events are POSTed.")
    events: list[WebhookEvent] = strawberry.field(description="What it hears of.")
    listing_ids: list[strawberry.ID] | None = strawberry.field(
        description="The listings it hears of; null: every listing of its owner (a global "
        "endpoint: every listing)."
    )
    is_global: bool = strawberry.field(description="An admin's endpoint for every host's listings.")
    enabled: bool = strawberry.field(
        description="False once disabled (by its owner, or for failing): nothing is sent; "
        "events meanwhile are kept and sent when it is enabled again."
    )
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    disabled_reason: str | None = strawberry.field(description="Why it was disabled.")
    failed_deliveries: int = strawberry.field(
        description="Deliveries in a row that failed every attempt."
    )
    failing_since: datetime | None = strawberry.field(
        description="Since when every attempt has failed; null when the last one succeeded."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")

    @strawberry.field(
        description="Its deliveries, newest first: 20 unless `first` or `last` (1 to 100) "
        "says otherwise."
    )
    async def deliveries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WebhookDelivery]:
        page = page_request(first, after, last, before)
        async with info.context.db.read() as session:
            found = await delivery_log.list_deliveries(
                session=session, endpoint_id=self.database_id, page=page
            )
        count = counter(info, delivery_log.count_deliveries, endpoint_id=self.database_id)
        return Connection.of(found, WebhookDelivery.from_row, count)

    @classmethod
    def from_row(cls, row: EndpointRecord) -> "WebhookEndpoint":
        listing_ids = row.listing_ids
        return cls(
            id=global_id("WebhookEndpoint", row.id),
            database_id=row.id,
            url=row.url,
            events=[WebhookEvent(event) for event in row.events],
            listing_ids=None
            if listing_ids is None
            else [strawberry.ID(global_id("Listing", each)) for each in listing_ids],
            is_global=row.is_global,
            enabled=row.enabled,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            failed_deliveries=row.failed_deliveries,
            failing_since=row.failing_since,
            created_at=row.created_at,
        )


@strawberry.input(description="A new endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="An https:// URL on a public address (at most 500 characters)."
    )
    events: list[WebhookEvent] = strawberry.field(description="What it hears of (at least one).")
    listing_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Only these listings (yours; any for a global endpoint); null: all.",
    )
    is_global: bool = strawberry.field(
        default=False, description="An admin's endpoint for every host's listings."
    )


@strawberry.input(description="What to change of an endpoint; what is null stays.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    enabled: bool | None = strawberry.field(
        default=None,
        description="false stops it; true starts it again, failures forgotten, and sends "
        "what was kept meanwhile.",
    )
    events: list[WebhookEvent] | None = strawberry.field(
        default=None, description="What it hears of from now on."
    )
    url: str | None = strawberry.field(default=None, description="A new https:// URL.")


@strawberry.type(description="An endpoint, with its secret when it was just made or rotated.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(
        default=None, description="The endpoint; null when errors is not empty."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="`whsec_<base64>`: the signing secret, shown only here, only by "
        "createWebhookEndpoint and rotateWebhookSecret. Verify webhook-signature with it.",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why not (INVALID_INPUT on url or events, NOT_FOUND, FORBIDDEN, "
        "INVALID_STATE); empty on success.",
    )


@strawberry.type(description="A delivery sent again, or why not.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        default=None, description="The delivery, PENDING again; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why not (NOT_FOUND, INVALID_STATE: its endpoint is disabled); empty on "
        "success.",
    )


WebhookEndpointId = Annotated[strawberry.ID, strawberry.argument(description="The endpoint.")]
