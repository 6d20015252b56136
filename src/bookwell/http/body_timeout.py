"""A request's body must arrive whole within a time limit: a client that drips it (a byte
every few seconds, from many connections) holds a worker no longer than that. After the
limit it is answered 408 and the connection closed. uvicorn bounds idle connections
(`timeout_keep_alive`) but not a body being received."""

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TIMED_OUT = b"The request body did not arrive in time."


class BodyTimedOut(Exception):
    pass


class BodyTimeout:
    def __init__(self, app: ASGIApp, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        body_done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:  # after the body: waiting for a disconnect is not bounded
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimedOut from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except BodyTimedOut:
            if not started:
                await _timed_out(send)


async def _timed_out(send: Send) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 408, "headers": headers})
    await send({"type": "http.response.body", "body": TIMED_OUT})
