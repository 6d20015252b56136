"""GraphQL documents and calls the webhook tests share."""

from typing import Any

from bookwell.core.sealed import WEBHOOK_SECRETS, SecretBox
from tests.support.graphql_client import GraphQLClient

# Seals secrets for the tests that call the services themselves (not the app's key: the
# tests that deliver through the worker use webhook_box(settings)).
BOX = SecretBox("the webhook tests' own key", purpose=WEBHOOK_SECRETS)

ENDPOINT_FIELDS = """
  id databaseId url events listingIds isGlobal enabled disabledAt disabledReason
  failedDeliveries failingSince createdAt
"""

CREATE = f"""
mutation($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{
    endpoint {{ {ENDPOINT_FIELDS} }} secret errors {{ code field message }}
  }}
}}
"""

UPDATE = f"""
mutation($input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(input: $input) {{
    endpoint {{ {ENDPOINT_FIELDS} }} errors {{ code field message }}
  }}
}}
"""

ROTATE = """
mutation($id: ID!) {
  rotateWebhookSecret(id: $id) { endpoint { id } secret errors { code field message } }
}
"""

DELETE = """
mutation($id: ID!) {
  deleteWebhookEndpoint(id: $id) { endpoint { id } errors { code field message } }
}
"""

REPLAY = """
mutation($id: ID!) {
  replayWebhookDelivery(id: $id) {
    delivery { id status attemptCount messageId } errors { code field message }
  }
}
"""

ENDPOINTS = f"""
query($first: Int, $after: String) {{
  webhookEndpoints(first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{
      {ENDPOINT_FIELDS}
      deliveries(first: 20) {{
        totalCount
        edges {{ node {{
          id event messageId payload status attemptCount nextAttemptAt completedAt
          attempts(first: 20) {{
            totalCount
            edges {{ node {{ id attemptedAt succeeded statusCode durationMs error }} }}
          }}
        }} }}
      }}
    }} }}
  }}
}}
"""


async def create_endpoint(
    client: GraphQLClient, token: str, url: str, events: list[str], **more: Any
) -> dict[str, Any]:
    answer = await client(CREATE, {"input": {"url": url, "events": events, **more}}, token=token)
    return answer.data["createWebhookEndpoint"]


async def endpoints(client: GraphQLClient, token: str, **variables: Any) -> dict[str, Any]:
    return (await client(ENDPOINTS, variables, token=token)).data["webhookEndpoints"]
