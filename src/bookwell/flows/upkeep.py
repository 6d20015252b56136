"""Timed upkeep the scheduler runs (workers/scheduler.py), each in a short transaction of
its own: moving stays along the clock, warnings and reminders, purges, partitions ahead.
Each is idempotent and safe in several processes at once (SKIP LOCKED, ON CONFLICT)."""

import uuid
from datetime import timedelta

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.services.booking import clock, idempotency, reminders
from bookwell.services.listings import partitions
from bookwell.services.notifications import outbox


async def start_due_stays(db: Database) -> list[uuid.UUID]:
    """CONFIRMED stays whose first day came are checked in; their ids."""
    return await in_one_transaction(db, lambda session: clock.start_due_stays(session=session))


async def complete_due_stays(db: Database) -> list[uuid.UUID]:
    """ACTIVE stays whose last night passed are completed; their ids."""
    return await in_one_transaction(db, lambda session: clock.complete_due_stays(session=session))


async def warn_expiring_holds(db: Database, *, minutes: int) -> int:
    return await in_one_transaction(
        db, lambda session: reminders.warn_expiring_holds(session=session, minutes=minutes)
    )


async def enqueue_reminders(db: Database, *, hours: int) -> int:
    return await in_one_transaction(
        db, lambda session: reminders.enqueue_reminders(session=session, hours=hours)
    )


async def purge_idempotency_keys(db: Database, *, older_than: timedelta) -> int:
    return await in_one_transaction(
        db,
        lambda session: idempotency.purge_idempotency_keys(session=session, older_than=older_than),
    )


async def purge_delivered_outbox(db: Database, *, older_than: timedelta) -> int:
    return await in_one_transaction(
        db, lambda session: outbox.purge_delivered(session=session, older_than=older_than)
    )


async def ensure_night_partitions(
    db: Database, *, years_ahead: int = partitions.YEARS_AHEAD
) -> int:
    """Partitions of listing_nights ahead; how many were made (services/listings/
    partitions.py: its lock timeout needs a transaction of its own)."""
    return await in_one_transaction(
        db,
        lambda session: partitions.ensure_night_partitions(
            session=session, years_ahead=years_ahead
        ),
    )
