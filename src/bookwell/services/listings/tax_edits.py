"""One tax at a time (the admin's screens): each change replaces the listing's list through
set_listing_taxes, under the listing's row lock, so it is checked as the API checks a list and
two changes of one listing's taxes never lose each other's."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import not_found
from bookwell.models import ListingTax
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.charges import Tax
from bookwell.services.listings.ownership import locked_listing
from bookwell.services.listings.taxes import set_listing_taxes, taxes_of


async def _tax_id_at(*, session: AsyncSession, listing_id: uuid.UUID, position: int) -> uuid.UUID:
    stmt = select(ListingTax.id).where(
        ListingTax.listing_id == listing_id, ListingTax.position == position
    )
    return (await session.execute(stmt)).scalar_one()


async def add_tax(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, tax: Tax
) -> uuid.UUID:
    """`tax` after the listing's others; the new row's id."""
    await locked_listing(
        session=session, principal=principal, listing_id=listing_id, field="listingId"
    )
    current = await taxes_of(session=session, listing_id=listing_id)
    await set_listing_taxes(
        session=session, principal=principal, listing_id=listing_id, taxes=[*current, tax]
    )
    return await _tax_id_at(session=session, listing_id=listing_id, position=len(current))


async def replace_tax(
    *, session: AsyncSession, principal: Principal, tax_id: uuid.UUID, tax: Tax | None
) -> uuid.UUID | None:
    """The tax `tax_id` replaced by `tax` in its place (None: removed); the row's new id.
    NOT_FOUND when it is gone (another change of the listing's taxes replaced it)."""
    where = select(ListingTax.listing_id).where(ListingTax.id == tax_id)
    listing_id = (await session.execute(where)).scalar_one_or_none()
    if listing_id is None:
        raise not_found("tax")
    await locked_listing(
        session=session, principal=principal, listing_id=listing_id, field="listingId"
    )
    # Again under the lock: its place, if a change committed meanwhile left it there.
    at = select(ListingTax.position).where(ListingTax.id == tax_id)
    position = (await session.execute(at)).scalar_one_or_none()
    if position is None:
        raise not_found("tax")
    taxes = await taxes_of(session=session, listing_id=listing_id)
    taxes[position : position + 1] = [] if tax is None else [tax]
    await set_listing_taxes(
        session=session, principal=principal, listing_id=listing_id, taxes=taxes
    )
    if tax is None:
        return None
    return await _tax_id_at(session=session, listing_id=listing_id, position=position)
