"""A listing's taxes and fees by law (VAT, a tourist tax): the host replaces the whole list.

They price bookings made afterwards; a booking keeps the taxes of its price snapshot.
"""

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import InputErrors, check_text, invalid
from bookwell.models import ListingTax, TaxKind, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.charges import Tax, taxes_from_json
from bookwell.services.listings.ownership import locked_listing
from bookwell.services.listings.pricing import taxes_json

MAX_TAXES = 10
RATE_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")


def _check_tax(tax: Tax, index: int) -> None:
    at = ("taxes", str(index))
    found = InputErrors()
    name = check_text(tax.name, (*at, "name")).strip()
    if not 1 <= len(name) <= 100:
        found.add(invalid((*at, "name"), "A tax's name has 1 to 100 characters."))
    if tax.kind is TaxKind.PERCENT:
        if tax.rate is None or tax.amount is not None:
            found.add(invalid((*at, "rate"), "A PERCENT tax has a rate and no amount."))
        elif not (0 <= tax.rate <= 100 and tax.rate == tax.rate.quantize(RATE_PLACES)):
            found.add(invalid((*at, "rate"), "rate is 0 to 100, with at most 4 decimals."))
    elif tax.amount is None or tax.rate is not None:
        found.add(invalid((*at, "amount"), "A PER_PERSON_NIGHT tax has an amount and no rate."))
    elif not (0 <= tax.amount <= Decimal("100000") and tax.amount == tax.amount.quantize(CENT)):
        found.add(invalid((*at, "amount"), "amount is 0 to 100000, with at most 2 decimals."))
    found.raise_if_any()


def check_taxes(taxes: Sequence[Tax]) -> None:
    """Every mistake of every tax at once."""
    found = InputErrors()
    if len(taxes) > MAX_TAXES:
        found.add(invalid("taxes", f"A listing has at most {MAX_TAXES} taxes."))
    for index, tax in enumerate(taxes):
        found.check(_check_tax, tax, index)
    found.raise_if_any()


async def set_listing_taxes(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, taxes: Sequence[Tax]
) -> list[Tax]:
    """Replace the listing's taxes by `taxes`, in that order (the host's, or an admin)."""
    check_taxes(taxes)
    await locked_listing(
        session=session, principal=principal, listing_id=listing_id, field="listingId"
    )
    await session.execute(delete(ListingTax).where(ListingTax.listing_id == listing_id))
    if taxes:
        await session.execute(
            insert(ListingTax),
            [
                {
                    "id": new_id(),
                    "listing_id": listing_id,
                    "position": position,
                    "name": tax.name.strip(),
                    "kind": tax.kind,
                    "rate": tax.rate,
                    "amount": tax.amount,
                    "inclusive": tax.inclusive,
                }
                for position, tax in enumerate(taxes)
            ],
        )
    return await taxes_of(session=session, listing_id=listing_id)


async def taxes_of(*, session: AsyncSession, listing_id: uuid.UUID) -> list[Tax]:
    found = (await session.execute(select(taxes_json(literal(listing_id))))).scalar_one()
    return taxes_from_json(found)
