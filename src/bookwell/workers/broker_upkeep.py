"""Keep the queue honest about dead workers, on a timer rather than by chance.

Dramatiq's Redis broker parks each fetched message in its worker's ack set until the worker
acknowledges it. A worker killed with -9 never does: its messages wait until *maintenance*
finds the worker's heartbeat older than `heartbeat_timeout` and puts them back, and
maintenance runs on ~0.1% of broker commands, so in practice minutes. A worker also only
heartbeats when it talks to Redis, which a worker busy on slow emails may not do for long.

So every `broker_upkeep_seconds` each worker process (1) heartbeats for its own broker, so a
live worker is never presumed dead however long its messages take, and (2) runs maintenance
over every queue, so a dead worker's messages are back in their queue within
`broker_heartbeat_timeout_ms` plus one period.
"""

import asyncio
import contextlib
import logging

from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker

from bookwell.core.config import Settings
from bookwell.workers.broker import NOTIFICATIONS

log = logging.getLogger(__name__)


def maintainer_of(broker: RedisBroker) -> RedisBroker:
    """A broker on the same Redis and namespace for which every command runs maintenance.
    It consumes nothing, so it never owns an ack set (maintenance forgets its heartbeat)."""
    return RedisBroker(
        client=broker.client,
        middleware=[],
        namespace=broker.namespace,
        heartbeat_timeout=broker.heartbeat_timeout,
        dead_message_ttl=broker.dead_message_ttl,
        maintenance_chance=MAINTENANCE_SCALE,
    )


def dead_workers(broker: RedisBroker) -> list[str]:
    """Broker ids whose last heartbeat is older than the heartbeat timeout."""
    now_ms = int(broker.client.time()[0]) * 1000
    key = f"{broker.namespace}:__heartbeats__"
    expired = broker.client.zrangebyscore(key, 0, now_ms - broker.heartbeat_timeout)
    return [worker.decode() for worker in expired]


def parked_messages(broker: RedisBroker) -> int:
    """Messages fetched by workers presumed dead and not yet put back in their queue."""
    parked = 0
    for worker in dead_workers(broker):
        for key in broker.client.scan_iter(f"{broker.namespace}:__acks__.{worker}.*"):
            parked += broker.client.scard(key)
    return parked


def heartbeat(broker: RedisBroker) -> None:
    """Any dispatched command records the broker's heartbeat; qsize only reads."""
    broker.do_qsize(NOTIFICATIONS)


def requeue_from_dead_workers(maintainer: RedisBroker) -> int:
    """Put back what workers presumed dead had fetched; how many messages that was."""
    parked = parked_messages(maintainer)
    for queue in sorted(maintainer.queues | maintainer.delay_queues):
        maintainer.do_qsize(queue)
    return parked


async def run_broker_upkeep(
    broker: RedisBroker, settings: Settings, *, stop: asyncio.Event, consuming: bool
) -> None:
    """Until `stop`: heartbeat (when this process consumes) and requeue dead workers'
    messages every `broker_upkeep_seconds` (or a third of the heartbeat timeout, if less).
    Redis away: try again next period."""
    maintainer = maintainer_of(broker)
    for queue in broker.queues:
        maintainer.declare_queue(queue)
    # Three heartbeats per timeout, however the two settings are set.
    period = min(settings.broker_upkeep_seconds, settings.broker_heartbeat_timeout_ms / 3000)
    failing = False
    while not stop.is_set():
        try:
            if consuming:
                await asyncio.to_thread(heartbeat, broker)
            requeued = await asyncio.to_thread(requeue_from_dead_workers, maintainer)
            if requeued:
                log.warning("requeued %d message(s) fetched by dead worker(s)", requeued)
            failing = False
        except Exception as error:
            if not failing:
                log.warning("broker upkeep failing (will retry): %s", error)
            failing = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), period)
