from datetime import date, datetime
from typing import Annotated

import strawberry

from bookwell.core.errors import InputErrors, invalid, not_found
from bookwell.core.pagination import Page, page_request
from bookwell.flows import slots as slot_flows
from bookwell.graphql.booking.types import Reservation, ReservationPayload
from bookwell.graphql.context import Info
from bookwell.graphql.listings.inputs import ListingFilter, listing_criteria
from bookwell.graphql.listings.prefetch import prefetch_listings, selected
from bookwell.graphql.listings.types import Listing
from bookwell.graphql.listings.units import ListingUnit, check_units_page
from bookwell.graphql.shared.common import (
    counter,
    errors_as_data,
    parse_id,
    parse_uuid,
    public_read,
    require_principal,
)
from bookwell.graphql.shared.errors import INPUT, user_errors
from bookwell.graphql.shared.pagination import After, Before, Connection, First, Last
from bookwell.graphql.slots.inputs import BookSlotInput
from bookwell.graphql.slots.types import FreeSlot, SlotOffer
from bookwell.services.slots import search as slot_search
from bookwell.services.slots import slots
from bookwell.services.slots.free_units import free_units as free_units_service


async def book_slot(
    info: Info,
    input: Annotated[BookSlotInput, strawberry.argument(description="The slot to hold.")],
) -> ReservationPayload:
    guest = require_principal(info)
    found = InputErrors()
    listing_id = found.check(parse_id, input.listing_id, "listing", "listingId")
    unit_id = None
    if input.unit_id is not None:
        unit_id = found.check(parse_id, input.unit_id, "unit", "unitId")
    found.check(
        slots.check_slot_booking_input,
        party_size=input.party_size,
        quantity=input.quantity,
        guest_name=input.guest_name,
        idempotency_key=input.idempotency_key,
        special_requests=input.special_requests,
        adults=input.adults,
        children=input.children,
    )
    if (error := found.as_error()) is not None:
        return ReservationPayload(errors=user_errors(error, INPUT))
    assert listing_id is not None
    data = slots.NewSlotBooking(
        listing_id=listing_id,
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        party_size=input.party_size,
        quantity=input.quantity,
        guest_name=input.guest_name,
        special_requests=input.special_requests,
        adults=input.adults,
        children=input.children,
        voucher_code=input.voucher_code,
        unit_id=unit_id,
        by_host=input.booked_by_host,
        guest_email=input.guest_email,
        guest_phone=input.guest_phone,
    )
    row, errors = await errors_as_data(
        slot_flows.book_slot(
            info.context.db, guest=guest, data=data, idempotency_key=input.idempotency_key
        ),
        INPUT,
    )
    return ReservationPayload(reservation=Reservation.from_row(row) if row else None, errors=errors)


async def search_slots(
    info: Info,
    date: Annotated[date, strawberry.argument(description="The day, in each listing's timezone.")],
    listing_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only this slot listing; not with filter."),
    ] = None,
    filter: Annotated[
        ListingFilter | None,
        strawberry.argument(
            description="Criteria the slot listings must match; not with listingId."
        ),
    ] = None,
    party_size: Annotated[
        int | None,
        strawberry.argument(
            description="The party: restaurants offer only tables that seat it, rooms and items "
            "only units whose maxGuests x quantity takes it. Null: 1."
        ),
    ] = None,
    quantity: Annotated[
        int,
        strawberry.argument(
            description="Rooms or items wanted together, 1 to the listing's units (a party "
            "takes one table: 1)."
        ),
    ] = 1,
    minutes: Annotated[
        int | None,
        strawberry.argument(
            description="The length wanted, a whole number of the listing's slots (at most "
            "1440); null: a restaurant's sitting, or one slot."
        ),
    ] = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[SlotOffer]:
    public_read(info)
    if listing_id is not None and filter is not None:
        raise invalid("filter", "Give listingId or filter, not both.")
    page = page_request(first, after, last, before)
    question = slot_search.SlotQuestion(
        day=date, party_size=party_size, quantity=quantity, minutes=minutes
    )
    criteria = listing_criteria(filter)
    if listing_id is not None:
        found = await _one_listing(info, listing_id)
        count = _constant(len(found.rows))
    else:
        async with info.context.db.read() as session:
            found = await slot_search.slot_listings(session=session, filter=criteria, page=page)
        count = counter(info, slot_search.count_slot_listings, filter=criteria)
    async with info.context.db.read() as session:
        free = await slot_search.free_slots(
            session=session, listings=found.rows, question=question, strict=listing_id is not None
        )

    def offer(row) -> SlotOffer:
        slots_of = [FreeSlot.of(slot) for slot in free[row.id]]
        return SlotOffer(listing=Listing.from_row(row), day=date, slots=slots_of)

    connection = Connection.of(found, offer, count)
    listings = [edge.node.listing for edge in connection.edges]
    at = ("edges", "node", "listing")
    await prefetch_listings(info, listings, selected(info, *at), at)
    return connection


async def _one_listing(info: Info, listing_id: strawberry.ID) -> Page:
    parsed = parse_uuid(listing_id, "Listing")
    row = await info.context.loaders.listing.load(parsed) if parsed else None
    if row is None:
        raise not_found("listing", "listingId")
    return Page([row], has_next_page=False)


def _constant(value: int):
    async def count() -> int:
        return value

    return count


async def free_units(
    info: Info,
    listing_id: Annotated[
        strawberry.ID, strawberry.argument(description="The slot listing (not a STAY).")
    ],
    starts_at: Annotated[
        datetime,
        strawberry.argument(
            description="With its UTC offset; a start on the listing's slot grid, in its hours."
        ),
    ],
    ends_at: Annotated[
        datetime | None,
        strawberry.argument(
            description="Default: startsAt plus a restaurant's sitting, or one slot."
        ),
    ] = None,
    party_size: Annotated[
        int | None,
        strawberry.argument(description="Restaurants: only tables that seat this party (null: 1)."),
    ] = None,
    first: Annotated[
        int | None,
        strawberry.argument(description="At most this many units, 1 to 1000 (default 100)."),
    ] = None,
) -> list[ListingUnit]:
    public_read(info)
    limit, _ = check_units_page(first, None)
    parsed = parse_uuid(listing_id, "Listing")
    if parsed is None:
        raise not_found("listing", "listingId")
    async with info.context.db.read() as session:
        rows = await free_units_service(
            session=session,
            listing_id=parsed,
            starts_at=starts_at,
            ends_at=ends_at,
            party_size=party_size,
            limit=limit,
        )
    return [ListingUnit.from_row(row) for row in rows]
