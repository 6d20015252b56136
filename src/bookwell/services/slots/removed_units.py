"""Whether a slot hold's unit was removed from its listing (updateListing's slotUnits).

Paying a hold changes no unit, so the trigger on reservation_units never sees it: a hold
past its expiry is not live for the removal (services/listings/unit_changes.py), yet a
payment whose transaction began before that expiry still finds it payable. Payments ask
here after locking the reservation; the removal locks the holds on the units it removes
first, so whichever comes second sees what the other committed.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import ListingUnit, ReservationUnit


async def holds_a_removed_unit(*, session: AsyncSession, reservation_id: uuid.UUID) -> bool:
    """True when a unit the reservation takes is no longer one of its listing's (a stay,
    which takes no unit row, never)."""
    removed = (
        select(ReservationUnit.unit_id)
        .join(ListingUnit, ListingUnit.id == ReservationUnit.unit_id)
        .where(
            ReservationUnit.reservation_id == reservation_id,
            ListingUnit.listing_id.is_distinct_from(ReservationUnit.listing_id),
        )
        .exists()
    )
    return bool(await session.scalar(select(removed)))


def removed_unit_error() -> DomainError:
    return DomainError(
        ErrorCode.UNAVAILABLE,
        "The host removed this booking's table, room or item meanwhile: book again.",
        "id",
    )
