from datetime import date
from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, not_found
from bookwell.core.pagination import page_request
from bookwell.flows import listings as listing_flows
from bookwell.graphql.context import Info

# Query.availability's cost (graphql/schema.py), beside its resolver.
from bookwell.graphql.listings.availability import AVAILABILITY_COST as AVAILABILITY_COST
from bookwell.graphql.listings.booking_rules import checked_booking_rules
from bookwell.graphql.listings.inputs import CreateListingInput, ListingFilter, listing_criteria
from bookwell.graphql.listings.prefetch import prefetch_listings, selected
from bookwell.graphql.listings.types import Availability, Listing, ListingPayload, load_availability
from bookwell.graphql.shared.common import (
    counter,
    errors_as_data,
    parse_uuid,
    public_read,
    require_principal,
)
from bookwell.graphql.shared.errors import INPUT, user_errors
from bookwell.graphql.shared.pagination import After, Before, Connection, First, Last
from bookwell.services.listings import availability as availability_service
from bookwell.services.listings import listings
from bookwell.services.listings.stays import stay


async def listing(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The listing's id.")]
) -> Listing | None:
    public_read(info)
    listing_id = parse_uuid(id, "Listing")
    row = await info.context.loaders.listing.load(listing_id) if listing_id else None
    return Listing.from_row(row) if row else None


async def all_listings(
    info: Info,
    filter: Annotated[
        ListingFilter | None,
        strawberry.argument(description="Criteria the listings must match; null: every listing."),
    ] = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[Listing]:
    public_read(info)
    page = page_request(first, after, last, before)
    criteria = listing_criteria(filter)
    count = counter(info, listings.count_listings, filter=criteria)
    async with info.context.db.read() as session:
        found = await listings.list_listings(session=session, filter=criteria, page=page)
    return await _with_nested(info, Connection.of(found, Listing.from_row, count))


async def _with_nested(info: Info, connection: Connection[Listing]) -> Connection[Listing]:
    nodes = [edge.node for edge in connection.edges]
    at = ("edges", "node")
    await prefetch_listings(info, nodes, selected(info, *at), at)
    return connection


async def availability(
    info: Info,
    listing_id: Annotated[strawberry.ID, strawberry.argument(description="The listing.")],
    start_date: Annotated[date, strawberry.argument(description="The first night.")],
    end_date: Annotated[
        date,
        strawberry.argument(description="The check-out day, after startDate: at most 365 nights."),
    ],
    quantity: Annotated[
        int, strawberry.argument(description="Units wanted on every night, at least 1.")
    ] = 1,
) -> Availability:
    public_read(info)
    parsed = parse_uuid(listing_id, "Listing")
    found = (
        await load_availability(info, parsed, start_date, end_date, quantity) if parsed else None
    )
    if found is None:
        raise not_found("listing", "listingId")
    return found


async def search_availability(
    info: Info,
    start_date: Annotated[
        date,
        strawberry.argument(
            description="The first night, in each listing's timezone; listings where it is "
            "already past are left out."
        ),
    ],
    nights: Annotated[int, strawberry.argument(description="Nights wanted, 1 to 365.")],
    quantity: Annotated[
        int, strawberry.argument(description="Units wanted on every night, at least 1.")
    ] = 1,
    filter: Annotated[
        ListingFilter | None,
        strawberry.argument(description="Criteria the listings must also match."),
    ] = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[Listing]:
    public_read(info)
    page = page_request(first, after, last, before)
    wanted = stay(start_date, nights=nights)
    criteria = listing_criteria(filter)
    count = counter(
        info, availability_service.count_search, stay=wanted, quantity=quantity, filter=criteria
    )
    async with info.context.db.read() as session:
        found = await availability_service.search(
            session=session, stay=wanted, quantity=quantity, filter=criteria, page=page
        )
    return await _with_nested(info, Connection.of(found, Listing.from_row, count))


async def create_listing(
    info: Info,
    input: Annotated[CreateListingInput, strawberry.argument(description="The listing to create.")],
) -> ListingPayload:
    owner = require_principal(info)
    try:
        rules = checked_booking_rules(input.booking_rules)
    except DomainError as error:
        return ListingPayload(errors=user_errors(error, INPUT))
    row, errors = await errors_as_data(
        listing_flows.create_listing(
            info.context.db, owner=owner, data=input.to_domain(), booking_rules=rules
        ),
        INPUT,
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)
