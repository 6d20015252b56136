"""/metrics was public on the API port (pool sizes, queue depths, operation names for
anyone), and nothing bounded how long a client may take to send its request: 20
connections dripping a byte every 2 s held the server 40 s. /metrics now needs
BOOKWELL_METRICS_TOKEN when one is set, and production refuses to serve it without one;
a request body must arrive within BOOKWELL_BODY_TIMEOUT_SECONDS (408 after); `serve` runs
uvicorn with a keep-alive timeout and a deadline and size limit on request heads
(BOOKWELL_HEAD_TIMEOUT_SECONDS: cli/request_heads.py), which uvicorn has not."""

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bookwell.app import create_app
from bookwell.cli.serve import uvicorn_options
from bookwell.core.config import Settings
from tests.support.browser import serving
from tests.support.lifespan import started

TOKEN = "metrics-token-0123456789abcdef"


async def _get(settings: Settings, path: str, headers: dict | None = None) -> httpx.Response:
    async with started(create_app(settings)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get(path, headers=headers or {})


def production(settings: Settings, **changes: object) -> Settings:
    defaults = {"environment", "graphiql", "introspection", "seed_demo_data"}
    values = settings.model_dump(exclude=defaults) | changes
    return Settings(**values, environment="production")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer "},
    ],
)
async def test_metrics_need_the_token_when_one_is_set(settings, headers):
    with_token = settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    answer = await _get(with_token, "/metrics", headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "bookwell_" not in answer.text


async def test_metrics_with_the_token(settings):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = await _get(production(settings, metrics_token=TOKEN), "/metrics", headers)
    assert answer.status_code == 200 and "bookwell_" in answer.text


async def test_production_never_serves_metrics_unauthenticated(settings):
    answer = await _get(production(settings), "/metrics")
    assert answer.status_code == 404
    assert "bookwell_" not in answer.text


async def _dripping(chunks: int, pause: float) -> AsyncIterator[bytes]:
    yield b'{"query": "{ listings { totalCount } }", "pad": "'
    for _ in range(chunks):
        await asyncio.sleep(pause)
        yield b"x"
    yield b'"}'


async def test_a_body_that_drips_is_answered_408(settings):
    limited = settings.model_copy(update={"body_timeout_seconds": 0.5})
    async with started(create_app(limited)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            began = time.monotonic()
            answer = await http.post(
                "/graphql",
                content=_dripping(chunks=40, pause=0.2),
                headers={"content-type": "application/json"},
            )
            took = time.monotonic() - began
            fast = await http.post("/graphql", json={"query": "{ listings { totalCount } }"})
    assert answer.status_code == 408
    assert answer.headers.get("connection") == "close"
    assert took < 4, took  # 8 s of dripping, cut at about 0.5 s
    assert fast.status_code == 200


def test_serve_closes_idle_connections():
    options = uvicorn_options(Settings(), "127.0.0.1", 8000, access_log=False)
    assert 0 < options["timeout_keep_alive"] <= 15


async def _closed_after(reader: asyncio.StreamReader, limit: float) -> float:
    """Seconds until the server closes the connection (reads to EOF), at most `limit`."""
    began = time.monotonic()
    async with asyncio.timeout(limit):
        while await reader.read(4096):
            pass
    return time.monotonic() - began


def _serve_options(settings: Settings) -> dict:
    return dict(uvicorn_options(settings, "127.0.0.1", 0, access_log=False))


async def test_a_head_that_drips_is_cut_off(settings):
    quick = settings.model_copy(update={"head_timeout_seconds": 0.5})
    async with serving(create_app(quick), _serve_options(quick)) as url:
        port = int(url.rsplit(":", 1)[1])
        idle_reader, idle = await asyncio.open_connection("127.0.0.1", port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + b"x-pad: " + b"a" * 200

        async def drip() -> None:
            for byte in head:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)  # 10 s of head, a byte at a time

        dripping = asyncio.create_task(drip())
        took = await _closed_after(reader, limit=5)
        idle_took = await _closed_after(idle_reader, limit=5)  # sent nothing at all
        dripping.cancel()
        writer.close()
        idle.close()
        async with httpx.AsyncClient(base_url=url) as http:  # others are still served
            assert (await http.get("/healthz")).status_code == 200
    assert took < 2.5, took
    assert idle_took < 2.5, idle_took


async def test_a_kept_alive_connection_gets_a_new_deadline_per_request(settings):
    quick = settings.model_copy(update={"head_timeout_seconds": 0.5, "keep_alive_seconds": 5})
    async with (
        serving(create_app(quick), _serve_options(quick)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        for _ in range(3):  # one connection, past the first deadline
            assert (await http.get("/healthz")).status_code == 200
            await asyncio.sleep(0.4)


async def test_an_oversized_head_is_refused(settings):
    async with (
        serving(create_app(settings), _serve_options(settings)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        answer = await http.get("/healthz", headers={"x-pad": "a" * 100_000})
        assert answer.status_code == 400
        assert (await http.get("/healthz", headers={"x-pad": "a" * 8_000})).status_code == 200
