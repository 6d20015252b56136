"""One request id per HTTP request, made before any route runs: kept in `scope["state"]`
(the GraphQL view answers it in `X-Request-ID`) and bound to structlog's context, so every
line logged while the request is served carries it."""

import uuid

from starlette.types import ASGIApp, Receive, Scope, Send
from structlog.contextvars import bound_contextvars


class RequestContext:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        with bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send)
