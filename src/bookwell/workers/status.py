"""What `bookwell outbox status` shows: the outbox backlog, the queues, and dead letters.

Relayed rows not done yet are split by what Redis holds for them: *in progress* (a message
queued, running or waiting for a retry), *dead-lettered*, and *lost* (no message at all,
e.g. Redis restarted empty: the relay sends those again within seconds). Messages fetched by
workers presumed dead are *parked* until the next broker upkeep requeues them."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func, select

from bookwell.core.db import Database
from bookwell.models import NotificationLog, OutboxMessage
from bookwell.workers.broker import QUEUES
from bookwell.workers.broker_upkeep import parked_messages
from bookwell.workers.lost_messages import redis_view


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
    # Relayed, and the worker has not finished them: in progress, dead-lettered, or lost.
    not_done: int
    # Their message is queued, running or waiting for a retry; the oldest relay of them.
    in_progress: int
    oldest_in_progress: datetime | None
    # Redis holds no message for them (relayed over `grace` ago): lost, to be relayed again.
    lost: int
    oldest_lost: datetime | None
    dead_lettered: int
    # Messages fetched by workers presumed dead, not yet requeued.
    parked: int
    redis_started_at: datetime
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


async def outbox_status(
    db: Database, broker: RedisBroker, *, max_relays: int, grace: timedelta = timedelta(seconds=5)
) -> OutboxStatus:
    unrelayed = OutboxMessage.relayed_at.is_(None)
    not_done = ~unrelayed & OutboxMessage.delivered_at.is_(None)
    view = redis_view(broker)  # before the database: see workers/lost_messages.py
    uptime = broker.client.info("server")["uptime_in_seconds"]
    async with db.read() as session:
        now = await session.scalar(select(func.now()))
        pending = (
            await session.execute(
                select(OutboxMessage.id, OutboxMessage.relayed_at).where(not_done)
            )
        ).all()
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
    assert now is not None
    dead_lettered = [row for row in pending if row.id in view.dead]
    missing = [row for row in pending if row.id not in view.live and row.id not in view.dead]
    lost = [row for row in missing if row.relayed_at < now - grace]
    settled = {row.id for row in dead_lettered} | {row.id for row in lost}
    in_progress = [row for row in pending if row.id not in settled]
    redis_now = broker.client.time()[0]
    return OutboxStatus(
        in_progress=len(in_progress),
        oldest_in_progress=min((row.relayed_at for row in in_progress), default=None),
        lost=len(lost),
        oldest_lost=min((row.relayed_at for row in lost), default=None),
        dead_lettered=len(dead_lettered),
        parked=parked_messages(broker),
        redis_started_at=datetime.fromtimestamp(redis_now - int(uptime), UTC),
        unrelayed=waiting,
        oldest_unrelayed=oldest,
        relayed=relayed,
        not_done=undone,
        given_up=given_up,
        notifications_sent=sent or 0,
        queued=queued,
        dead=dead_letters(broker),
    )
