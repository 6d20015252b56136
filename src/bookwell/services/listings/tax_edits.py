"""One tax at a time (the admin's screens). Each change is checked as the API checks a whole
list (check_taxes on the list it makes) and made under the listing's row lock, so changes of
one listing's taxes made at once never lose each other; the other taxes keep their rows (and
ids), so a change never makes another one's form stale."""

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import not_found
from bookwell.models import ListingTax, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.charges import Tax
from bookwell.services.listings.ownership import locked_listing
from bookwell.services.listings.taxes import check_taxes, taxes_of


def _values(tax: Tax) -> dict[str, Any]:
    return {
        "name": tax.name.strip(),
        "kind": tax.kind,
        "rate": tax.rate,
        "amount": tax.amount,
        "inclusive": tax.inclusive,
    }


async def add_tax(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, tax: Tax
) -> uuid.UUID:
    """`tax` after the listing's others; the new row's id."""
    await locked_listing(
        session=session, principal=principal, listing_id=listing_id, field="listingId"
    )
    current = await taxes_of(session=session, listing_id=listing_id)
    check_taxes([*current, tax])
    tax_id = new_id()
    await session.execute(
        insert(ListingTax).values(
            id=tax_id, listing_id=listing_id, position=len(current), **_values(tax)
        )
    )
    return tax_id


async def replace_tax(
    *, session: AsyncSession, principal: Principal, tax_id: uuid.UUID, tax: Tax | None
) -> uuid.UUID | None:
    """The tax `tax_id` replaced by `tax` in its place (None: removed, those after it move
    up); its id. NOT_FOUND when it is gone."""
    where = select(ListingTax.listing_id).where(ListingTax.id == tax_id)
    listing_id = (await session.execute(where)).scalar_one_or_none()
    if listing_id is None:
        raise not_found("tax")
    await locked_listing(
        session=session, principal=principal, listing_id=listing_id, field="listingId"
    )
    # Again under the lock: a removal committed meanwhile may have taken it or moved it.
    at = select(ListingTax.position).where(ListingTax.id == tax_id)
    position = (await session.execute(at)).scalar_one_or_none()
    if position is None:
        raise not_found("tax")
    taxes = await taxes_of(session=session, listing_id=listing_id)
    taxes[position : position + 1] = [] if tax is None else [tax]
    check_taxes(taxes)
    if tax is not None:
        await session.execute(
            update(ListingTax).where(ListingTax.id == tax_id).values(**_values(tax))
        )
        return tax_id
    await session.execute(delete(ListingTax).where(ListingTax.id == tax_id))
    await session.execute(
        update(ListingTax)
        .where(ListingTax.listing_id == listing_id, ListingTax.position > position)
        .values(position=ListingTax.position - 1)
    )
    return None
