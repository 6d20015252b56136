"""Yearly listing_nights partitions made ahead (migration 0008): a daily scheduler job.

`bookwell_ensure_night_partitions` does the work in SQL and is safe to call at any time;
with nothing to make it takes no lock. Making a partition locks listing_nights (ACCESS
EXCLUSIVE) for a moment, so the call waits at most `LOCK_TIMEOUT` for running bookings and
otherwise fails; the next tick tries again.
"""

import logging
from datetime import UTC, date, datetime

from sqlalchemy import text

from bookwell.config import Settings
from bookwell.db import Database
from bookwell.services.payments.provider import PaymentProvider

log = logging.getLogger(__name__)

# This year and the next two, as the migration makes them.
YEARS_AHEAD = 2
LOCK_TIMEOUT = "5s"

# The UTC day each database was last seen complete, by URL: the job runs once a day per
# process (and again at the next tick after a failure).
_done_on: dict[str, date] = {}


async def ensure_night_partitions(db: Database, years_ahead: int = YEARS_AHEAD) -> int:
    """Make the missing yearly partitions up to `years_ahead` years on; how many were made."""
    async with db.transaction() as session:
        await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        made = await session.execute(
            text("SELECT bookwell_ensure_night_partitions(:years)"), {"years": years_ahead}
        )
        return made.scalar_one()


async def ensure_partitions_daily(
    db: Database, settings: Settings, provider: PaymentProvider
) -> dict[str, int]:
    """The scheduler's job (workers/scheduler.py JOBS); reports through the log only."""
    key = db.engine.url.render_as_string(hide_password=True)
    today = datetime.now(UTC).date()
    if _done_on.get(key) == today:
        return {}
    made = await ensure_night_partitions(db)
    _done_on[key] = today
    if made:
        log.info("made %d listing_nights partition(s)", made)
    return {}
