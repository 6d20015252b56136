"""Listing.slotQuote: what a slot booking (bookSlot) would cost now, line by line, and each
reason it would be refused, without holding anything (services/slots/quotes.py)."""

from datetime import datetime
from typing import Annotated, Protocol, cast
from uuid import UUID

import strawberry

from bookwell.graphql.context import Info
from bookwell.graphql.limits.cost import costs
from bookwell.graphql.listings.pricing import Quote
from bookwell.services.slots.quotes import SlotQuoteRequest, quote_slot_booking

# One read of the listing (its rules, taxes, tables) and one slot priced: as Listing.quote's
# fixed part (graphql/listings/types.py QUOTE_WEIGHT).
SLOT_QUOTE_WEIGHT = 5


class _Listing(Protocol):
    uuid: UUID


@strawberry.type
class SlotQuoteField:
    @strawberry.field(
        description="Slot listings (RESTAURANT, SPACE, EQUIPMENT): what bookSlot would charge "
        "now for these arguments, line by line (the slot, a voucher's DISCOUNT, each TAX), "
        "priced as the booking prices it, without holding anything. `bookable` and "
        "`violations` say whether the listing's terms allow it (the grid and opening hours, "
        "a past start, the booking rules, tables, units and maxGuests); whether units are "
        "still free is searchSlots' answer.",
        metadata=costs(weight=SLOT_QUOTE_WEIGHT),
    )
    async def slot_quote(
        self,
        info: Info,
        starts_at: Annotated[
            datetime,
            strawberry.argument(description="The start, with its UTC offset, as bookSlot."),
        ],
        ends_at: Annotated[
            datetime | None,
            strawberry.argument(
                description="The end; null: a restaurant's sitting, else one slot."
            ),
        ] = None,
        party_size: Annotated[
            int | None,
            strawberry.argument(description="The party (a restaurant needs it), at least 1."),
        ] = None,
        quantity: Annotated[
            int, strawberry.argument(description="Rooms or items, at least 1 (a table: 1).")
        ] = 1,
        adults: Annotated[
            int | None,
            strawberry.argument(
                description="Adults (1 to 1000): a PER_PERSON_NIGHT tax counts adults + "
                "children, else the party, else one person per unit."
            ),
        ] = None,
        children: Annotated[
            int | None,
            strawberry.argument(description="Children (0 or more); give adults too."),
        ] = None,
        voucher_code: Annotated[
            str | None,
            strawberry.argument(
                description="A voucher code of the host, as Listing.quote takes it: nothing "
                "is reserved."
            ),
        ] = None,
    ) -> Quote:
        asked = SlotQuoteRequest(
            listing_id=cast(_Listing, self).uuid,
            starts_at=starts_at,
            ends_at=ends_at,
            party_size=party_size,
            quantity=quantity,
            adults=adults,
            children=children,
            voucher_code=voucher_code,
        )
        async with info.context.db.read() as session:
            quoted = await quote_slot_booking(session=session, asked=asked)
        return Quote.of(quoted.snapshot, quoted.refusals)
