"""The scheduler: timed work over reservations, one leader at a time (workers/leader.py).

Every `scheduler_tick_seconds` the leader runs each job (flows: flows/upkeep.py and
flows/outcomes.py, each step in a short transaction of its own), in this order: sweep holds
(expire, refund, waitlist offers), check stays in, check them out, mark no-shows, warn of
expiring holds, enqueue reminders, purge old idempotency keys and delivered outbox events,
make partitions ahead. A failing job is
logged and the others still run; the next tick tries it again. Every job is also safe
when several processes run it at once, so `tick` works without leadership (`--once`).

`run_scheduler` runs in any event loop: `bookwell scheduler`, or inside `bookwell serve`.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bookwell.core.config import Settings
from bookwell.core.db import Database, Timeouts, connect
from bookwell.flows import outcomes, upkeep, webhooks
from bookwell.services.payments.provider import PaymentProvider
from bookwell.workers.leader import Leader
from bookwell.workers.partitions import ensure_partitions_ahead
from bookwell.workers.sweeps import sweep_holds

log = logging.getLogger(__name__)

# A follower asks for leadership this often (or every tick, if ticks are shorter).
LEADERSHIP_RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one pass did; `failed` names the jobs that raised (logged)."""

    expired: int = 0
    refunded: int = 0
    offered: int = 0
    checked_in: int = 0
    completed: int = 0
    no_shows: int = 0
    holds_warned: int = 0
    reminders: int = 0
    keys_purged: int = 0
    outbox_purged: int = 0
    webhook_deliveries_purged: int = 0
    failed: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"Expired {self.expired} hold(s), refunded {self.refunded}, made {self.offered} "
            f"waitlist offer(s); checked in {self.checked_in}, completed {self.completed}, "
            f"marked {self.no_shows} no-show(s); "
            f"warned of {self.holds_warned} expiring hold(s), queued {self.reminders} "
            f"reminder(s); purged {self.keys_purged} idempotency key(s) and "
            f"{self.outbox_purged} delivered outbox event(s)."
        )


Job = Callable[[Database, Settings, PaymentProvider], Awaitable[dict[str, int]]]


async def _sweep_holds(
    db: Database, settings: Settings, provider: PaymentProvider
) -> dict[str, int]:
    report = await sweep_holds(db, provider)
    return {"expired": report.expired, "refunded": report.refunded, "offered": report.offered}


async def _check_in(db: Database, settings: Settings, provider: PaymentProvider) -> dict[str, int]:
    return {"checked_in": len(await upkeep.start_due_stays(db))}


async def _check_out(db: Database, settings: Settings, provider: PaymentProvider) -> dict[str, int]:
    return {"completed": len(await upkeep.complete_due_stays(db))}


async def _no_shows(db: Database, settings: Settings, provider: PaymentProvider) -> dict[str, int]:
    return {"no_shows": len(await outcomes.mark_due_no_shows(db, provider))}


async def _warn(db: Database, settings: Settings, provider: PaymentProvider) -> dict[str, int]:
    warned = await upkeep.warn_expiring_holds(db, minutes=settings.hold_warning_minutes)
    return {"holds_warned": warned}


async def _remind(db: Database, settings: Settings, provider: PaymentProvider) -> dict[str, int]:
    return {"reminders": await upkeep.enqueue_reminders(db, hours=settings.reminder_hours)}


async def _purge(db: Database, settings: Settings, provider: PaymentProvider) -> dict[str, int]:
    ttl = timedelta(hours=settings.idempotency_key_ttl_hours)
    return {"keys_purged": await upkeep.purge_idempotency_keys(db, older_than=ttl)}


async def _purge_outbox(
    db: Database, settings: Settings, provider: PaymentProvider
) -> dict[str, int]:
    kept = timedelta(days=settings.outbox_retention_days)
    return {"outbox_purged": await upkeep.purge_delivered_outbox(db, older_than=kept)}


async def _purge_webhook_deliveries(
    db: Database, settings: Settings, provider: PaymentProvider
) -> dict[str, int]:
    kept = timedelta(days=settings.outbox_retention_days)  # as long as their events
    purged = await webhooks.purge_completed_deliveries(db, older_than=kept)
    return {"webhook_deliveries_purged": purged}


JOBS: dict[str, Job] = {
    "sweep_holds": _sweep_holds,
    "start_due_stays": _check_in,
    "complete_due_stays": _check_out,
    "mark_due_no_shows": _no_shows,
    "warn_expiring_holds": _warn,
    "enqueue_reminders": _remind,
    "purge_idempotency_keys": _purge,
    "purge_outbox": _purge_outbox,
    "purge_webhook_deliveries": _purge_webhook_deliveries,
    "ensure_night_partitions": ensure_partitions_ahead,
}


async def tick(
    db: Database,
    settings: Settings,
    provider: PaymentProvider,
    *,
    stop: asyncio.Event | None = None,
) -> TickReport:
    """One pass of every job (the rest are skipped once `stop` is set)."""
    counts: dict[str, int] = {}
    failed = []
    for name, job in JOBS.items():
        if stop is not None and stop.is_set():
            break
        try:
            counts.update(await job(db, settings, provider))
        except Exception:
            log.exception("scheduled job %s failed", name)
            failed.append(name)
    report = TickReport(**counts, failed=tuple(failed))
    log.debug("scheduler tick: %s", report)
    return report


async def run_scheduler(
    db: Database, settings: Settings, provider: PaymentProvider, *, stop: asyncio.Event
) -> None:
    """Lead when possible and tick every `scheduler_tick_seconds` until `stop` is set;
    leadership is given up on the way out (also when cancelled)."""
    # The lock is a session's: behind PgBouncer in transaction mode it needs PostgreSQL itself.
    in_use = db.engine.url.render_as_string(hide_password=False)
    direct_url = settings.direct_url(in_use)
    direct = None
    if direct_url != in_use:
        cache = settings.db_statement_cache_size
        direct = connect(
            direct_url,
            pool_size=1,
            max_overflow=1,
            statement_cache_size=cache,
            timeouts=Timeouts.of(settings, "worker"),
        )
    leader = Leader((direct or db).engine)
    retry = min(LEADERSHIP_RETRY_SECONDS, settings.scheduler_tick_seconds)
    try:
        while not stop.is_set():
            if await leader.ensure():
                await tick(db, settings, provider, stop=stop)
                await _sleep(stop, settings.scheduler_tick_seconds)
            else:
                await _sleep(stop, retry)
    finally:
        try:
            await leader.release()
        finally:
            if direct is not None:
                await direct.dispose()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
