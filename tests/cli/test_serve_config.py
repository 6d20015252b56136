"""What `bookwell serve` hands the app and uvicorn: the Redis it started, and logging left to
structlog from uvicorn's first line."""

import json

import httpx
import pytest
import redis
from starlette.routing import Route

from bookwell.app import create_app
from bookwell.cli.serve import serve_settings
from bookwell.core.rate_limits import Counter, MemoryRateLimiter, RedisRateLimiter
from tests.cli.serving import Serve, serve_env
from tests.support.ports import free_port
from tests.workers.queue_helpers import forget_queue


def _graphql_view(app):
    [route] = [r for r in app.routes if isinstance(r, Route) and r.path == "/graphql"]
    return route.endpoint


async def test_the_redis_serve_started_backs_the_rate_limits(
    settings, redis_server_url, queue_namespace
):
    settings = settings.model_copy(update={"redis_url": None, "queue_namespace": queue_namespace})
    assert isinstance(
        _graphql_view(create_app(serve_settings(settings, None))).rate_limiter, MemoryRateLimiter
    )
    app = create_app(serve_settings(settings, redis_server_url))
    limiter = _graphql_view(app).rate_limiter
    assert isinstance(limiter, RedisRateLimiter)
    client = redis.Redis.from_url(redis_server_url)
    try:
        assert await limiter.take([Counter("probe", 5)], 2, 60) is None
        assert client.get(f"{queue_namespace}:rate:probe") == b"2"
    finally:
        await limiter.close()
        forget_queue(client, queue_namespace)


STARTUP_LINES = ("Started server process", "Application startup complete", "Uvicorn running on")


@pytest.mark.slow
def test_embedded_redis_serve_logs_json_from_uvicorns_first_line(tmp_path, database_url):
    port = free_port()
    env = serve_env(
        DATABASE_URL=database_url,
        BOOKWELL_DATA_DIR=str(tmp_path / "data"),
        BOOKWELL_SEED_DEMO_DATA="false",
        BOOKWELL_LOG_FORMAT="json",
    )
    env = {k: v for k, v in env.items() if k not in ("REDIS_URL", "SMTP_URL")}
    serve = Serve(["--port", str(port), "--background"], env)
    try:
        serve.wait_for("Uvicorn running on")
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz").json()
    finally:
        code = serve.interrupt()
    assert "Starting embedded Redis" in serve.output
    # The app checks the Redis serve started, as it would REDIS_URL's.
    assert ready == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    for text in STARTUP_LINES:
        [line] = [line for line in serve.output.splitlines() if text in line]
        record = json.loads(line)
        assert record["logger"] == "uvicorn.error" and record["level"] == "info"
        assert record["event"].startswith(text)
    assert not [line for line in serve.output.splitlines() if line.startswith("INFO:")]
    assert code == 0
