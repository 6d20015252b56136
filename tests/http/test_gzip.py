"""http/gzip.py: Starlette's GZip behaviour, the excluded types normalised once."""

import gzip

import httpx
import pytest
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bookwell.http.gzip import GZip

LARGE = b"x" * 2000


def answering(media_type: str, body: bytes):
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Response(body, media_type=media_type)(scope, receive, send)

    return app


async def get(app, accept: str) -> tuple[httpx.Response, bytes]:
    """The response and its bytes as sent (not decoded by httpx)."""
    transport = httpx.ASGITransport(app=GZip(app, minimum_size=500))
    headers = {"Accept-Encoding": accept}
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
        http.stream("GET", "/", headers=headers) as response,
    ):
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


async def test_a_large_answer_is_compressed_for_a_client_that_accepts_gzip():
    response, sent = await get(answering("application/json", LARGE), "gzip, br")
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(sent) == LARGE


async def test_an_excluded_type_is_not_compressed_whatever_its_parameters():
    response, sent = await get(answering("Text/Event-Stream; charset=utf-8", LARGE), "gzip")
    assert "content-encoding" not in response.headers
    assert sent == LARGE


async def test_without_gzip_a_large_answer_is_plain_and_says_it_varies():
    response, sent = await get(answering("application/json", LARGE), "identity")
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert sent == LARGE


async def test_a_small_answer_is_left_alone():
    response, sent = await get(answering("application/json", b"{}"), "gzip")
    assert sent == b"{}"
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers


IDENTITY_CASES = [
    # (status, headers, bodies as (body, more_body))
    (200, [(b"content-type", b"application/json")], [(b"{}", False)]),
    (200, [(b"content-type", b"application/json")], [(LARGE, False)]),
    (200, [(b"content-type", b"application/json"), (b"vary", b"Accept")], [(LARGE, False)]),
    (
        200,
        [(b"vary", b"Accept"), (b"content-type", b"text/plain"), (b"vary", b"Origin")],
        [(LARGE, False)],
    ),
    (200, [(b"content-type", b"application/json")], [(b"a", True), (b"b", True), (b"", False)]),
    (200, [(b"content-type", b"image/png")], [(LARGE, False)]),
    (200, [(b"content-type", b"Video/MP4; x=1")], [(LARGE, False)]),
    (200, [(b"content-type", b"application/grpc+proto")], [(LARGE, False)]),
    (200, [(b"content-encoding", b"br")], [(LARGE, False)]),
    (206, [(b"content-type", b"text/plain")], [(LARGE, False)]),
    (200, [], [(LARGE, False)]),
]


@pytest.mark.parametrize(("status", "headers", "bodies"), IDENTITY_CASES)
async def test_without_gzip_the_messages_are_starlettes_identity_responders(
    status: int, headers: list[tuple[bytes, bytes]], bodies: list[tuple[bytes, bool]]
):
    """http/gzip.py answers a client that does not accept gzip itself: message for message
    what Starlette's IdentityResponder sends."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        for body, more_body in bodies:
            await send({"type": "http.response.body", "body": body, "more_body": more_body})

    async def sent_by(middleware) -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        async def receive() -> dict:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "headers": [(b"accept-encoding", b"identity")]}
        await middleware(scope, receive, send)
        return sent

    ours = await sent_by(GZip(app, minimum_size=500))
    starlettes = await sent_by(GZipMiddleware(app, minimum_size=500))
    assert ours == starlettes
