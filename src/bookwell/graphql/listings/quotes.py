"""Listing.quote's answer: the price a booking would be given now (pricing.quote, with the
guests as the booking counts them), and each reason the booking would be refused."""

import uuid
from datetime import date
from typing import Protocol

from bookwell.core.errors import InputErrors
from bookwell.graphql.context import Info
from bookwell.graphql.listings.pricing import Quote
from bookwell.services.booking import stay_quotes
from bookwell.services.booking.guests import checked_guests
from bookwell.services.listings import pricing
from bookwell.services.listings.stays import check_quantity, stay
from bookwell.services.vouchers import redeem


class Quoted(Protocol):
    """What a quote needs of the Listing object (graphql/listings/types.py)."""

    uuid: uuid.UUID
    units: int
    max_guests: int | None


async def quote_listing(
    info: Info,
    listing: Quoted,
    start_date: date,
    end_date: date | None,
    nights: int | None,
    quantity: int,
    voucher_code: str | None,
    adults: int | None,
    children: int | None,
) -> Quote:
    """Listing.quote's arguments, in its order."""
    listing_id = listing.uuid
    found = InputErrors()
    booked = found.check(stay, start_date, end_date, nights)
    found.check(check_quantity, quantity)
    guests = found.check(checked_guests, adults, children, None)
    found.raise_if_any()
    assert booked is not None and guests is not None
    terms = await info.context.loaders.quote_terms.load(listing_id)  # one read per page
    assert terms is not None  # this listing exists
    discount = None
    if voucher_code:
        async with info.context.db.read() as session:
            discount = await redeem.preview(
                session=session, listing_id=listing_id, code=voucher_code
            )
    priced = pricing.quote_stay(terms, booked, quantity, discount=discount, persons=guests.people)
    refused = stay_quotes.refusals(
        terms,
        booked,
        quantity,
        units=listing.units,
        max_guests=listing.max_guests,
        guests=guests,
    )
    return Quote.of(priced.snapshot, refused)
