"""The scheduler's job that makes yearly listing_nights partitions ahead (migration 0008;
services/listings/partitions.py says how it waits for locks). With nothing to make it takes
no lock, only reads the catalog, so the job runs every tick."""

import logging

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.flows import upkeep
from bookwell.services.payments.provider import PaymentProvider

log = logging.getLogger(__name__)


async def ensure_partitions_ahead(
    db: Database, settings: Settings, provider: PaymentProvider
) -> dict[str, int]:
    """The scheduler's job (workers/scheduler.py JOBS); reports through the log only."""
    made = await upkeep.ensure_night_partitions(db)
    if made:
        log.info("made %d listing_nights partition(s)", made)
    return {}
