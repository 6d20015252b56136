"""Route middleware of /graphql over HTTP (app.py), outside the bearer-token check, so that
every failure of a GraphQL request answers JSON in GraphQL's error shape with its request id
(issue 16), never uvicorn's or Starlette's plain-text 500:

- Load shedding: past `max_in_flight` requests at once in this process, a request is
  answered 503 SERVICE_UNAVAILABLE with Retry-After at once, rather than queued for seconds
  behind a pool it would time out on anyway. Probes (/healthz, /readyz) are other routes.
- Last resort: an exception that escaped the view before an answer started (the token
  lookup with the database down, a failure in the view's own code) is answered 503 when
  retrying helps (core/unavailable.py), else a masked 500 with the request id. A request
  cancelled because the server's shutdown grace ended answers 503 too, before the app's
  lifespan closes the pool (`InFlight.drained`)."""

import asyncio
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bookwell.core.unavailable import unavailable_reason
from bookwell.observability.unavailable import count_in_scope, graphql_failure

log = logging.getLogger("bookwell.errors")


class InFlight:
    """The requests the guard is serving, shared with the app's lifespan, which waits for
    them (`drained`) before it closes the pool: a request cancelled when the shutdown grace
    ended is answered and its connection given back first."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def drained(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True


class GraphQLGuard:
    """`graphql_response(accept)`: whether the client takes application/graphql-response+json
    (graphql/over_http.py decides, the app passes it in)."""

    def __init__(
        self,
        app: ASGIApp,
        graphql_response: Callable[[str | None], bool],
        max_in_flight: int = 0,
        in_flight: InFlight | None = None,
    ):
        self.app = app
        self.graphql_response = graphql_response
        self.max_in_flight = max_in_flight
        self.in_flight = in_flight or InFlight()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.max_in_flight and self.in_flight.count >= self.max_in_flight:
            await self._answer(scope, send, "overloaded")
            return
        self.in_flight.enter()
        started = False
        from_outside: list[BaseException] = []

        async def watched_receive() -> Message:
            try:
                return await receive()
            except Exception as error:
                # The outer middleware's (http/body_limits.py: 413, 408): its to answer.
                from_outside.append(error)
                raise

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, watched_receive, watched)
        except asyncio.CancelledError:
            if started:
                raise
            # uvicorn cancels what still runs when the shutdown grace ends (the statement is
            # cancelled on the server as the cancellation unwinds through asyncpg). Answered,
            # the request is over: not raised again, which uvicorn would log as an error.
            log.warning("request %s cancelled by the shutdown: 503", _request_id(scope))
            await self._answer(scope, send, "shutting_down")
        except Exception as error:
            if started or any(error is raised for raised in from_outside):
                raise
            reason = unavailable_reason(error)
            request_id = _request_id(scope)
            if reason is None:
                log.error("unexpected error (request %s)", request_id, exc_info=error)
                await self._answer(scope, send, None)
            else:
                log.warning("service unavailable (request %s): %s", request_id, reason)
                await self._answer(scope, send, reason)
        finally:
            self.in_flight.leave()

    async def _answer(self, scope: Scope, send: Send, reason: str | None) -> None:
        if reason is not None:
            count_in_scope(scope, reason)
        accept = next((v.decode() for k, v in scope["headers"] if k == b"accept"), None)
        response = graphql_failure(
            _request_id(scope),
            unavailable=reason is not None,
            graphql_response=self.graphql_response(accept),
        )
        await response(scope, _no_receive, send)


def _request_id(scope: Scope) -> str | None:
    return scope.get("state", {}).get("request_id")


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
