"""The Dramatiq broker on Redis, built from settings by whoever runs (worker, relay, tests).

No broker exists at import time and none is global: actors are declared on the broker
built here (workers/actors.py), so two brokers in one process never mix.
"""

import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

from bookwell.core.config import Settings

NOTIFICATIONS = "notifications"
QUERIES = "queries"
# Outbound webhooks: their own queue, so a slow endpoint never holds up email.
WEBHOOKS = "webhooks"
QUEUES = (NOTIFICATIONS, QUERIES, WEBHOOKS)
RESULT_TTL_MS = 10 * 60 * 1000
# An email that hangs this long is abandoned (and retried): SMTP servers do stall.
TIME_LIMIT_MS = 5 * 60 * 1000


def redis_client(url: str) -> redis.Redis:
    """Timeouts on every socket: a Redis that stops answering fails fast, so the relay
    backs off and retries instead of hanging with rows locked."""
    pool = redis.ConnectionPool.from_url(
        url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=15
    )
    return redis.Redis(connection_pool=pool)


def build_broker(settings: Settings, redis_url: str) -> RedisBroker:
    client = redis_client(redis_url)
    retries = Retries(
        max_retries=settings.queue_max_retries,
        min_backoff=settings.queue_min_backoff_ms,
        max_backoff=settings.queue_max_backoff_ms,
    )
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        retries,
        CurrentMessage(),
        AsyncIO(),
        Results(
            backend=RedisBackend(client=client, namespace=f"{settings.queue_namespace}-results"),
            result_ttl=RESULT_TTL_MS,
        ),
    ]
    broker = RedisBroker(
        client=client,
        middleware=middleware,
        namespace=settings.queue_namespace,
        heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
        maintenance_chance=settings.broker_maintenance_chance,
    )
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


def close_broker(broker: RedisBroker) -> None:
    """Close the broker and its Redis connections too (Dramatiq's close leaves them open,
    and an embedded Redis stops only once its last client has gone)."""
    broker.close()
    broker.client.connection_pool.disconnect()
