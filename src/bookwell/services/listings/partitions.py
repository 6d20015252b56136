"""Yearly listing_nights partitions made ahead (migration 0008).

`bookwell_ensure_night_partitions` does the work in SQL and is safe to call at any time;
with nothing to make it takes no lock, only reads the catalog. Making a partition locks
listing_nights (ACCESS EXCLUSIVE) for a moment, and every booking and search queues behind
the lock while it waits: so it waits at most `LOCK_TIMEOUT` for running transactions and
otherwise gives up (the scheduler tries again on its next tick, workers/partitions.py).
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# This year and the next two, as the migration makes them.
YEARS_AHEAD = 2
LOCK_TIMEOUT = "300ms"


async def ensure_night_partitions(*, session: AsyncSession, years_ahead: int = YEARS_AHEAD) -> int:
    """Make the missing yearly partitions up to `years_ahead` years on; how many were made.
    The lock timeout is the caller's transaction's (SET LOCAL): run it in one of its own."""
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    made = await session.execute(
        text("SELECT bookwell_ensure_night_partitions(:years)"), {"years": years_ahead}
    )
    return int(made.scalar_one())  # the function RETURNS int
