"""Whether a listing takes bookings without an account (issue 17.7: flows/checkout.py)."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Listing


async def allows_guest_checkout(*, session: AsyncSession, listing_id: uuid.UUID) -> bool:
    """False for an unknown listing too: without an account, a caller learns nothing more."""
    stmt = select(Listing.allow_guest_checkout).where(Listing.id == listing_id)
    return bool(await session.scalar(stmt))
