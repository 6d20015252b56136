"""The webhook fields of Query and Mutation (graphql/schema.py inherits them)."""

import strawberry

from bookwell.graphql.shared.pagination import Connection
from bookwell.graphql.webhooks import resolvers
from bookwell.graphql.webhooks.types import (
    WebhookDeliveryPayload,
    WebhookEndpoint,
    WebhookEndpointPayload,
)


@strawberry.type
class WebhookQueries:
    webhook_endpoints: Connection[WebhookEndpoint] = strawberry.field(
        resolver=resolvers.webhook_endpoints,
        description="Your webhook endpoints (an admin: everyone's), newest first, each with "
        "its deliveries and their attempts: 20 unless `first` or `last` (1 to 100) says "
        "otherwise. Needs sign-in.",
    )


@strawberry.type
class WebhookMutations:
    create_webhook_endpoint: WebhookEndpointPayload = strawberry.mutation(
        resolver=resolvers.create_webhook_endpoint,
        description="A host (or admin) registers an https:// URL to hear of events on their "
        "listings (an admin's isGlobal endpoint: everyone's). The answer's `secret` is shown "
        "this once. Errors: FORBIDDEN (a guest; isGlobal without being an admin), "
        "INVALID_INPUT (url: not https, a private or local address, not found; events), "
        "NOT_FOUND (listingIds: not yours), INVALID_STATE (20 endpoints already).",
    )
    update_webhook_endpoint: WebhookEndpointPayload = strawberry.mutation(
        resolver=resolvers.update_webhook_endpoint,
        description="Enable or disable an endpoint of yours, or change its events or URL. "
        "Enabling it again forgets its failures and sends what was kept while it was "
        "disabled. Errors: NOT_FOUND, INVALID_INPUT.",
    )
    delete_webhook_endpoint: WebhookEndpointPayload = strawberry.mutation(
        resolver=resolvers.delete_webhook_endpoint,
        description="Remove an endpoint of yours with its deliveries; answers it as it was. "
        "Errors: NOT_FOUND.",
    )
    rotate_webhook_secret: WebhookEndpointPayload = strawberry.mutation(
        resolver=resolvers.rotate_webhook_secret,
        description="A new signing secret for an endpoint of yours, shown this once and "
        "used from the next attempt on (the old one stops at once). Errors: NOT_FOUND.",
    )
    replay_webhook_delivery: WebhookDeliveryPayload = strawberry.mutation(
        resolver=resolvers.replay_webhook_delivery,
        description="Send a delivery again now, as it was (same webhook-id and body, a fresh "
        "signature and schedule of retries). Errors: NOT_FOUND, INVALID_STATE (its endpoint "
        "is disabled).",
    )
