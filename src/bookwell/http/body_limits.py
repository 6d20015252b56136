"""A request body is bounded in size and in time, before the app reads it whole.

Size: over `max_bytes` it is answered 413, a declared Content-Length at once, a streamed
(chunked) body as soon as it passes the limit. Time: it must arrive whole within `seconds`
(0: no limit), or it is answered 408; a client that drips it (a byte every few seconds, from
many connections) holds a worker no longer than that. uvicorn bounds idle connections
(`timeout_keep_alive`) but not a body being received. Either way the connection is closed."""

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyRefused(Exception):
    status: int
    message: bytes


class BodyTooLarge(BodyRefused):
    status, message = 413, b"The request body is too large."


class BodyTimedOut(BodyRefused):
    status, message = 408, b"The request body did not arrive in time."


class BodyLimits:
    def __init__(self, app: ASGIApp, max_bytes: int, seconds: float):
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(send, BodyTooLarge())
            return
        deadline = asyncio.get_running_loop().time() + self.seconds if self.seconds > 0 else None
        received = 0
        body_done = False
        started = False

        async def bounded_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # after the body: waiting for a disconnect is not bounded
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimedOut from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracked_send)
        except BodyRefused as refused:
            if not started:
                await _refuse(send, refused)


def _declared_length(scope: Scope) -> bytes:
    """The last Content-Length header's value (as dict() of the headers kept), else b""."""
    declared = b""
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            declared = value
    return declared


async def _refuse(send: Send, refused: BodyRefused) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": refused.message})
