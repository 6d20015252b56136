"""http/gzip.py: Starlette's GZip behaviour, the excluded types normalised once."""

import gzip

import httpx
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
