"""What /metrics reads at scrape time: the database pool, the outbox backlog (a short
query with a timeout), and the queues in Redis when one is configured."""

import asyncio
import hmac
import logging
from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bookwell.core.db import Database
from bookwell.models import OutboxMessage
from bookwell.observability.metrics import Metrics
from bookwell.observability.redis_probe import queue_sizes

log = logging.getLogger(__name__)

SCRAPE_TIMEOUT_SECONDS = 2.0


def read_pool(metrics: Metrics, db: Database) -> None:
    pool = db.engine.pool
    for gauge, reading in (
        (metrics.pool_checked_out, "checkedout"),
        (metrics.pool_size, "size"),
        (metrics.pool_overflow, "overflow"),
    ):
        value = getattr(pool, reading, None)
        if callable(value):
            # Connections raw_read keeps idle are checked out of the pool but serve no one.
            idle = len(db.idle) if reading == "checkedout" else 0
            gauge.set(max(0, value() - idle))


async def read_outbox(metrics: Metrics, db: Database) -> None:
    query = select(
        func.count(),
        func.coalesce(func.extract("epoch", func.now() - func.min(OutboxMessage.created_at)), 0),
    ).where(OutboxMessage.relayed_at.is_(None))
    async with db.read() as session:
        count, lag = (await session.execute(query)).one()
    metrics.outbox_unrelayed.set(count)
    metrics.outbox_lag.set(max(0.0, float(lag)))


async def read_queues(
    metrics: Metrics, redis_url: str, namespace: str, queues: Sequence[str]
) -> None:
    depths, dead = await queue_sizes(redis_url, namespace, queues)
    for queue, depth in depths.items():
        metrics.queue_depth.labels(queue).set(depth)
    for queue, count in dead.items():
        metrics.dead_letters.labels(queue).set(count)


async def _source(metrics: Metrics, name: str, reading) -> None:
    try:
        await asyncio.wait_for(reading, SCRAPE_TIMEOUT_SECONDS)
    except Exception as error:
        metrics.source_up.labels(name).set(0)
        log.warning("metrics: could not read %s: %s", name, error)
    else:
        metrics.source_up.labels(name).set(1)


def metrics_endpoint(
    metrics: Metrics,
    redis_url: str | None,
    namespace: str,
    queues: Sequence[str],
):
    """`queues`: the names of the broker's queues (workers/broker.py), whose depths in Redis
    are read at each scrape. The database is the lifespan's, from the request's state."""

    async def scrape(request: Request) -> Response:
        readings = []
        if (db := getattr(request.state, "db", None)) is not None:
            read_pool(metrics, db)
            readings.append(_source(metrics, "database", read_outbox(metrics, db)))
        if redis_url:
            readings.append(
                _source(metrics, "redis", read_queues(metrics, redis_url, namespace, queues))
            )
        await asyncio.gather(*readings)
        return Response(generate_latest(metrics.exposed()), media_type=CONTENT_TYPE_LATEST)

    return scrape


def metrics_route_endpoint(scrape, token: str | None, production: bool):
    """The endpoint to serve at /metrics, or None (not served): with a token, only to a
    request bearing it; without one, in development only (production never shows the
    pool, queues and operation names to anyone who asks)."""
    if token is None:
        return None if production else scrape
    expected = f"Bearer {token}".encode()

    async def guarded(request: Request) -> Response:
        sent = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(sent, expected):
            return PlainTextResponse(
                "A bearer token is needed for /metrics.\n",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return await scrape(request)

    return guarded
