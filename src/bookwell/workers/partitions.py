"""Yearly listing_nights partitions made ahead (migration 0008): a scheduler job.

`bookwell_ensure_night_partitions` does the work in SQL and is safe to call at any time;
with nothing to make it takes no lock, only reads the catalog, so the job runs every tick.
Making a partition locks listing_nights (ACCESS EXCLUSIVE) for a moment, and every booking
and search queues behind the lock while it waits: so it waits at most `LOCK_TIMEOUT` for
running transactions and otherwise gives up until the next tick.
"""

import logging

from sqlalchemy import text

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.services.payments.provider import PaymentProvider

log = logging.getLogger(__name__)

# This year and the next two, as the migration makes them.
YEARS_AHEAD = 2
LOCK_TIMEOUT = "300ms"


async def ensure_night_partitions(db: Database, years_ahead: int = YEARS_AHEAD) -> int:
    """Make the missing yearly partitions up to `years_ahead` years on; how many were made."""
    async with db.transaction() as session:
        await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        made = await session.execute(
            text("SELECT bookwell_ensure_night_partitions(:years)"), {"years": years_ahead}
        )
        return made.scalar_one()


async def ensure_partitions_ahead(
    db: Database, settings: Settings, provider: PaymentProvider
) -> dict[str, int]:
    """The scheduler's job (workers/scheduler.py JOBS); reports through the log only."""
    made = await ensure_night_partitions(db)
    if made:
        log.info("made %d listing_nights partition(s)", made)
    return {}
