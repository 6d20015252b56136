"""A host's hold on their listing: reading it locked for a change, or refusing someone
else's."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, not_found
from bookwell.models import Listing
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord


async def locked_listing(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, field: str = "id"
) -> ListingRecord:
    """The listing, its row locked FOR UPDATE until the transaction ends: every new hold
    locks its listing first (services/booking/holds.py), so none is placed while a change
    of units, timezone or existence is being decided. NOT_FOUND for no such listing,
    FORBIDDEN for someone else's (an admin may change any)."""
    stmt = select(*LISTING_COLUMNS).where(Listing.id == listing_id).with_for_update()
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("listing", field)
    listing = ListingRecord(*row)
    if listing.owner_id != principal.user_id and not principal.is_admin:
        raise DomainError(ErrorCode.FORBIDDEN, "Only the listing's host can change it.", field)
    return listing
