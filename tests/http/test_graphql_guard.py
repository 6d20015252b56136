"""The /graphql guard (http/graphql_guard.py) on its own: whatever escapes the view before
an answer started is answered JSON in GraphQL's error shape with the request id."""

import asyncio

import orjson
import pytest

from bookwell.graphql.over_http import prefers_graphql_response
from bookwell.http.graphql_guard import GraphQLGuard

SCOPE = {
    "type": "http",
    "method": "POST",
    "path": "/graphql",
    "headers": [(b"accept", b"application/json")],
    "state": {"request_id": "req-1"},
}


async def answered(app) -> tuple[int, dict, dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    guard = GraphQLGuard(app, graphql_response=prefers_graphql_response)
    await guard(dict(SCOPE), receive, send)
    assert guard.in_flight.count == 0
    start, body = sent[0], sent[1]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], orjson.loads(body["body"]), headers


async def test_a_request_cancelled_by_the_shutdown_answers_503():
    async def waiting_on_a_lock(scope, receive, send):
        raise asyncio.CancelledError

    status, body, headers = await answered(waiting_on_a_lock)
    assert status == 503
    assert headers["retry-after"].isdigit()
    assert headers["x-request-id"] == "req-1"
    assert body["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "requestId": "req-1"}


async def test_a_connection_error_outside_the_database_drivers_is_not_unavailable():
    """Refused connections count as the database down only when raised in asyncpg or
    SQLAlchemy (tests/http/test_database_unavailable.py has those)."""

    async def token_lookup(scope, receive, send):
        raise ConnectionRefusedError

    status, body, _ = await answered(token_lookup)
    assert (status, body["errors"][0]["extensions"]["code"]) == (500, "INTERNAL_ERROR")


async def test_a_bug_answers_a_masked_500_with_the_request_id():
    async def broken(scope, receive, send):
        raise RuntimeError("secret detail")

    status, body, headers = await answered(broken)
    assert status == 500
    assert headers["content-type"].startswith("application/json")
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "Unexpected error.",
                "extensions": {"code": "INTERNAL_ERROR", "requestId": "req-1"},
            }
        ],
    }


async def test_what_receive_raises_is_left_to_the_middleware_outside():
    """http/body_limits.py raises from `receive` (a body too large or too slow) and answers
    413 or 408 itself."""

    class TooLarge(Exception):
        pass

    async def reads_the_body(scope, receive, send):
        await receive()

    async def receive():
        raise TooLarge

    guard = GraphQLGuard(reads_the_body, graphql_response=prefers_graphql_response)
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    with pytest.raises(TooLarge):
        await guard(dict(SCOPE), receive, send)
    assert sent == []
