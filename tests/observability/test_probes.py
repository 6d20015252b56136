"""/healthz, /readyz and /health against a real database and Redis, and a database or
Redis that is not there."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bookwell.app import create_app
from bookwell.core.config import Settings
from tests.support.lifespan import started

NOWHERE_DATABASE = "postgresql://postgres@127.0.0.1:1/nowhere"
NOWHERE_REDIS = "redis://127.0.0.1:1/0"


async def get(settings: Settings, path: str) -> httpx.Response:
    application = create_app(settings)
    async with started(application) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get(path)


async def test_healthz_and_readyz_with_the_database(client):
    alive = await client.http.get("/healthz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    ready = await client.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert (await client.http.get("/health")).status_code == 200


async def test_readyz_is_503_without_the_database(settings):
    nowhere = settings.model_copy(update={"database_url": NOWHERE_DATABASE})
    assert (await get(nowhere, "/healthz")).status_code == 200
    ready = await get(nowhere, "/readyz")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "checks": {"database": "failed"},
        "failed": ["database"],
    }


async def test_readyz_pings_redis_when_configured(settings, redis_server_url):
    with_redis = settings.model_copy(update={"redis_url": redis_server_url})
    ready = await get(with_redis, "/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}

    # Issue 16: bookings need no Redis (the outbox keeps what is to be sent): reported,
    # not a reason to take the replica out of the load balancer.
    no_redis = settings.model_copy(update={"redis_url": NOWHERE_REDIS})
    for path in ("/readyz", "/health/details"):
        ready = await get(no_redis, path)
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["failed"] == ["redis"]
        assert ready.json()["checks"] == {"database": "ok", "redis": "failed"}


def gauge(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


@pytest.mark.parametrize("reachable", [True, False])
async def test_metrics_read_the_queues_when_redis_is_configured(
    settings, redis_server_url, queue_namespace, reachable
):
    url = redis_server_url if reachable else NOWHERE_REDIS
    configured = settings.model_copy(update={"redis_url": url, "queue_namespace": queue_namespace})
    response = await get(configured, "/metrics")
    assert response.status_code == 200
    assert gauge(response.text, "bookwell_metrics_source_up", source="redis") == (
        1 if reachable else 0
    )
    depth = gauge(response.text, "bookwell_queue_depth", queue="notifications")
    dead = gauge(response.text, "bookwell_queue_dead_letters", queue="notifications")
    assert (depth, dead) == ((0, 0) if reachable else (None, None))
