"""The outbox relay: committed outbox rows -> Dramatiq messages, then stamped relayed.

Each batch is one transaction: lock up to N rows with SKIP LOCKED (so any number of relays
share the work without waiting on each other), enqueue a message per row, stamp them,
commit. Redis down: the enqueue raises, the transaction rolls back, the rows stay unrelayed
and the relay retries with backoff until Redis is back; nothing is lost. A crash between
enqueue and commit relays those rows again: the actors are idempotent, so a duplicate
message costs a lookup, not a second email. Rows relayed long ago and still not done (lost by
a Redis that came back empty, or dead-lettered) are relayed again (`redeliver_batch`), up to
`max_relays` times in all; `bookwell outbox status` counts those it gave up on. Rows whose
message Redis no longer holds at all are relayed again within seconds (`relay_lost`, found
by workers/lost_messages.py); those relays do not count towards `max_relays`.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select, update

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.models import OutboxMessage
from bookwell.workers.lost_messages import LossWatch, RedisView

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 10.0

Relayed = tuple[int, str | None]
"""An outbox id and the id of the request that recorded it (None: none known)."""

Enqueue = Callable[[list[Relayed]], None]
"""Sends one message per outbox row (blocking: runs in a thread)."""

Look = Callable[[], RedisView]
"""What Redis holds for the outbox now (blocking: runs in a thread)."""


async def _relay(
    db: Database,
    enqueue: Enqueue,
    due: tuple[ColumnElement[bool], ...],
    limit: int,
    *,
    counted: bool = True,
) -> int:
    rows = (
        select(OutboxMessage.id, OutboxMessage.request_id)
        .where(*due)
        .order_by(OutboxMessage.id)
        .limit(limit)
        # NO KEY UPDATE: workers inserting notification_log rows (a foreign key to outbox)
        # need not wait for this batch to commit.
        .with_for_update(skip_locked=True, key_share=True)
    )
    async with db.transaction() as session:
        relayed = [(row.id, row.request_id) for row in await session.execute(rows)]
        if not relayed:
            return 0
        await asyncio.to_thread(enqueue, relayed)
        ids = [outbox_id for outbox_id, _ in relayed]
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                relayed_at=func.now(),
                relay_count=OutboxMessage.relay_count + (1 if counted else 0),
            )
        )
    return len(ids)


async def relay_batch(db: Database, enqueue: Enqueue, *, limit: int = 200) -> int:
    """Relay up to `limit` new rows, oldest first; how many were relayed."""
    return await _relay(db, enqueue, (OutboxMessage.relayed_at.is_(None),), limit)


async def redeliver_batch(
    db: Database, enqueue: Enqueue, *, after: timedelta, max_relays: int, limit: int = 200
) -> int:
    """Relay again rows relayed over `after` ago whose work is still not done."""
    lost = (*_relayed_not_done(after), OutboxMessage.relay_count < max_relays)
    redelivered = await _relay(db, enqueue, lost, limit)
    if redelivered:
        log.warning("relayed %d outbox row(s) again: their messages were lost", redelivered)
    return redelivered


def _relayed_not_done(older_than: timedelta) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.relayed_at < func.now() - older_than,
        OutboxMessage.delivered_at.is_(None),
    )


async def relay_lost(
    db: Database, enqueue: Enqueue, watch: LossWatch, look: Look, *, grace: timedelta
) -> int:
    """Relay again the rows relayed over `grace` ago, not done, whose message Redis lost
    (workers/lost_messages.py); how many. Redis first, then the database: a message acked
    after the look belongs to a row that reads as done."""
    view = await asyncio.to_thread(look)
    async with db.read() as session:
        not_done = (
            await session.scalars(select(OutboxMessage.id).where(*_relayed_not_done(grace)))
        ).all()
    lost = watch.lost(view, not_done)
    relayed = 0
    for start in range(0, len(lost), 500):
        chunk = lost[start : start + 500]
        due = (OutboxMessage.id.in_(chunk), *_relayed_not_done(grace))  # not relayed meanwhile
        relayed += await _relay(db, enqueue, due, len(chunk), counted=False)
    if relayed:
        log.warning("relayed %d outbox row(s) again: Redis lost their messages", relayed)
    return relayed


async def run_relay(
    db: Database,
    enqueue: Enqueue,
    settings: Settings,
    *,
    stop: asyncio.Event,
    wakeups: asyncio.Queue | None = None,
    look: Look | None = None,
) -> None:
    """Relay until `stop` is set: at once after a NOTIFY on `wakeups` (if given), else every
    `relay_poll_seconds`; a full batch goes straight on to the next. With `look`, messages
    Redis lost are looked for every `relay_loss_check_seconds`; rows still not done after
    `redeliver_after_seconds` (dead letters too) are relayed again, looked for once a
    minute."""
    limit = settings.relay_batch_size
    after = timedelta(seconds=settings.redeliver_after_seconds)
    grace = timedelta(seconds=settings.relay_loss_check_seconds)
    watch = LossWatch()
    failures = 0
    next_redelivery = next_loss_check = 0.0
    while not stop.is_set():
        try:
            relayed = await relay_batch(db, enqueue, limit=limit)
            if look is not None and time.monotonic() >= next_loss_check:
                await relay_lost(db, enqueue, watch, look, grace=grace)
                next_loss_check = time.monotonic() + settings.relay_loss_check_seconds
            if time.monotonic() >= next_redelivery:
                await redeliver_batch(
                    db, enqueue, after=after, max_relays=settings.max_relays, limit=limit
                )
                next_redelivery = time.monotonic() + min(60.0, after.total_seconds())
        except Exception as error:
            failures += 1
            if failures == 1:
                log.warning("outbox relay failing (will retry): %s", error)
            await _wait(stop, None, min(MAX_BACKOFF_SECONDS, 0.2 * 2**failures))
            continue
        if failures:
            log.info("outbox relay recovered after %d failed attempt(s)", failures)
            failures = 0
        if relayed < limit:
            await _wait(stop, wakeups, settings.relay_poll_seconds)


async def _wait(stop: asyncio.Event, wakeups: asyncio.Queue | None, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wakeups is not None:
        waiters.append(asyncio.ensure_future(wakeups.get()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    if wakeups is not None:
        while not wakeups.empty():  # one batch answers every NOTIFY that arrived meanwhile
            wakeups.get_nowait()
