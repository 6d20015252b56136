"""The websocket at /graphql: graphql-transport-ws, subscriptions only, in text frames."""

from typing import TYPE_CHECKING

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from bookwell.graphql.context import Context

if TYPE_CHECKING:
    from bookwell.graphql.view import BookwellGraphQL


class SubscriptionsOnly(BaseGraphQLTransportWSHandler[Context, None]):
    """A websocket serves subscriptions only. Queries and mutations go over HTTP, where each
    request gets its own context (fresh dataloaders) and the schema's error masking."""

    view: "BookwellGraphQL"  # the view that made this handler (graphql/view.py)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        kind = _operation_type(payload, self.view.settings.max_tokens)
        if self.connection_acknowledged and kind not in (None, OperationType.SUBSCRIPTION):
            error = GraphQLError(
                "Send queries and mutations over HTTP; websockets serve subscriptions."
            )
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)


def _operation_type(payload: object, max_tokens: int) -> OperationType | None:
    """None when unknown (bad syntax, no such operation): Strawberry answers those."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return None
    try:
        document = parse(payload["query"], no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return None
    name = payload.get("operationName")
    operation = get_operation_ast(document, name if isinstance(name, str) else None)
    return operation.operation if operation else None


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages are text frames: every standard client (graphql-ws,
    Apollo, urql, GraphiQL, Python gql) refuses binary ones, which Strawberry sends when
    encode_json returns bytes (ours does, for HTTP's sake)."""

    async def send_json(self, message) -> None:  # type: ignore[no-untyped-def]
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
