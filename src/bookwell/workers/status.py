"""What `bookwell outbox status` shows: the outbox backlog, the queues, and dead letters."""

from dataclasses import dataclass
from datetime import UTC, datetime

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func, select

from bookwell.core.db import Database
from bookwell.models import NotificationLog, OutboxMessage
from bookwell.workers.broker import QUEUES


@dataclass(frozen=True, slots=True)
class DeadLetter:
    queue: str
    redis_id: str
    died_at: datetime
    actor: str
    args: tuple
    retries: int
    error: str


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    unrelayed: int
    oldest_unrelayed: datetime | None
    relayed: int
    # Relayed, and the worker has not finished them: queued, retrying, or dead-lettered.
    not_done: int
    # Relayed `max_relays` times and still not done: nothing will send them by itself.
    given_up: int
    notifications_sent: int
    queued: dict[str, int]
    dead: list[DeadLetter]


def _last_line(traceback: str | None) -> str:
    lines = [line for line in (traceback or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def dead_letters(broker: RedisBroker, limit: int = 100) -> list[DeadLetter]:
    found = []
    for queue in QUEUES:
        key = f"{broker.namespace}:{queue}.XQ"
        for redis_id, score in broker.client.zrevrange(key, 0, limit - 1, withscores=True):
            data = broker.client.hget(f"{key}.msgs", redis_id)
            if data is None:
                continue
            message = Message.decode(data)
            found.append(
                DeadLetter(
                    queue=queue,
                    redis_id=redis_id.decode(),
                    died_at=datetime.fromtimestamp(score / 1000, UTC),
                    actor=message.actor_name,
                    args=tuple(message.args),
                    retries=message.options.get("retries", 0),
                    error=_last_line(message.options.get("traceback")),
                )
            )
    return sorted(found, key=lambda dead: dead.died_at, reverse=True)[:limit]


def requeue_dead(broker: RedisBroker) -> int:
    """Send every dead letter again with a fresh retry budget; how many."""
    requeued = 0
    for dead in dead_letters(broker, limit=10_000):
        key = f"{broker.namespace}:{dead.queue}.XQ"
        data = broker.client.hget(f"{key}.msgs", dead.redis_id)
        if data is None:
            continue
        message = Message.decode(data)
        options = {k: v for k, v in message.options.items() if k not in ("retries", "traceback")}
        broker.enqueue(message.copy(queue_name=dead.queue, options=options))
        broker.client.zrem(key, dead.redis_id)
        broker.client.hdel(f"{key}.msgs", dead.redis_id)
        requeued += 1
    return requeued


async def outbox_status(db: Database, broker: RedisBroker, *, max_relays: int) -> OutboxStatus:
    unrelayed = OutboxMessage.relayed_at.is_(None)
    not_done = ~unrelayed & OutboxMessage.delivered_at.is_(None)
    async with db.read() as session:
        waiting, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(unrelayed)
            )
        ).one()
        relayed, undone, given_up = (
            await session.execute(
                select(
                    func.count().filter(~unrelayed),
                    func.count().filter(not_done),
                    func.count().filter(not_done, OutboxMessage.relay_count >= max_relays),
                ).select_from(OutboxMessage)
            )
        ).one()
        sent = await session.scalar(select(func.count()).select_from(NotificationLog))
    queued = {
        queue: broker.client.llen(f"{broker.namespace}:{queue}")
        + broker.client.llen(f"{broker.namespace}:{queue}.DQ")
        for queue in QUEUES
    }
    return OutboxStatus(
        unrelayed=waiting,
        oldest_unrelayed=oldest,
        relayed=relayed,
        not_done=undone,
        given_up=given_up,
        notifications_sent=sent or 0,
        queued=queued,
        dead=dead_letters(broker),
    )
