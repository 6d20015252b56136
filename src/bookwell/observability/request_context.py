"""One request id per HTTP request and per websocket connection, made here before any route
runs and nowhere else: kept in `scope["state"]["request_id"]`, where every route reads it
(the GraphQL view and /reports answer it in `X-Request-ID`, a masked "Unexpected error."
carries it as `requestId`), and bound to structlog's context, so every line logged while the
request is served carries it, and so do the outbox events it records
(core/request_scope.py). A websocket's id lasts as long as the connection: every
subscription on it logs the same one.

An `X-Request-ID` the client (or a proxy in front) sent is kept when it is a plain token of
at most 100 characters, so one id follows a request through the proxy's logs and ours;
anything else is replaced by a new id."""

import re
import secrets

from starlette.types import ASGIApp, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

# Nothing that could forge a log line or a header: letters, digits and . _ : -
_ACCEPTED = re.compile(rb"[A-Za-z0-9._:-]{1,100}")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            return value.decode() if _ACCEPTED.fullmatch(value) else secrets.token_hex(16)
    return secrets.token_hex(16)


class RequestContext:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        tokens = bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_contextvars(**tokens)
