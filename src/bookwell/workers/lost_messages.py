"""Find relayed outbox rows whose message Redis no longer holds, so the relay can send them
again within seconds instead of after `redeliver_after_seconds`.

A message lives in its queue's `.msgs` hash (queued, prefetched or running: Dramatiq keeps
it there until the worker acknowledges it, which comes after the delivery commits), in the
delay queue's hash while it waits for a retry, or in the dead-letter hash. A row relayed and
not done whose message is in none of them was lost, typically by a Redis that restarted
without its data. A message moves between hashes (a retry, a delay ending) in two steps, so
one look can miss it: a row counts as lost only when it is missing at two looks in a row,
or at one look after Redis's `run_id` changed (a restart). Relaying a row that was not
lost after all costs a duplicate message, which the idempotent delivery turns into a
lookup, never a second email (workers/delivery.py).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson
from dramatiq.brokers.redis import RedisBroker

from bookwell.workers.broker import NOTIFICATIONS

log = logging.getLogger(__name__)

DELIVER_ACTOR = "deliver_notification"


@dataclass(frozen=True, slots=True)
class RedisView:
    """What Redis holds for the outbox at one moment."""

    run_id: str
    # Outbox ids with a message queued, prefetched, running or waiting for a retry.
    live: frozenset[int]
    # Outbox ids whose message is in the dead-letter queue.
    dead: frozenset[int]


def _outbox_ids(broker: RedisBroker, key: str) -> set[int]:
    found = set()
    for _, data in broker.client.hscan_iter(key, count=1000):
        message = orjson.loads(data)
        if message.get("actor_name") == DELIVER_ACTOR and message.get("args"):
            found.add(int(message["args"][0]))
    return found


def redis_view(broker: RedisBroker) -> RedisView:
    """Blocking. The run id first: a restart during the scan shows at the next look."""
    run_id = str(broker.client.info("server")["run_id"])
    prefix = f"{broker.namespace}:{NOTIFICATIONS}"
    live = _outbox_ids(broker, f"{prefix}.msgs") | _outbox_ids(broker, f"{prefix}.DQ.msgs")
    dead = _outbox_ids(broker, f"{prefix}.XQ.msgs")
    return RedisView(run_id=run_id, live=frozenset(live), dead=frozenset(dead))


@dataclass
class LossWatch:
    """Remembers the previous look, to tell a message in transit from a lost one."""

    run_id: str | None = None
    missing_before: set[int] = field(default_factory=set)

    def lost(self, view: RedisView, not_done: Iterable[int]) -> list[int]:
        """Of `not_done` (rows relayed a while ago and not done, read after `view` was
        taken), those lost: missing now, and missing last time or Redis restarted since."""
        missing = {row for row in not_done if row not in view.live and row not in view.dead}
        restarted = self.run_id is not None and view.run_id != self.run_id
        if restarted:
            log.warning("Redis restarted (run id %s -> %s)", self.run_id, view.run_id)
        lost = missing if restarted else missing & self.missing_before
        self.run_id, self.missing_before = view.run_id, missing - lost
        return sorted(lost)
