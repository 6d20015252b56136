from datetime import date

import strawberry

from bookwell.context import Info
from bookwell.resolvers.common import (
    counter,
    in_transaction,
    parse_uuid,
    public_read,
    require_principal,
)
from bookwell.schema.inputs import CreateListingInput, ListingFilter
from bookwell.schema.listing import Availability, Listing, load_availability
from bookwell.schema.lookahead import listing_edges_as_json, prefetch_listings, selected
from bookwell.schema.pagination import Connection
from bookwell.schema.payloads import ListingPayload
from bookwell.services import availability as availability_service
from bookwell.services import listing_json, listings
from bookwell.services.errors import not_found
from bookwell.services.pagination import page_request
from bookwell.services.stays import stay


async def listing(info: Info, id: strawberry.ID) -> Listing | None:
    public_read(info)
    listing_id = parse_uuid(id)
    row = await info.context.loaders.listing.load(listing_id) if listing_id else None
    return Listing.from_row(row) if row else None


async def all_listings(
    info: Info, filter: ListingFilter | None = None, first: int = 20, after: str | None = None
) -> Connection[Listing]:
    public_read(info)
    page = page_request(first, after)
    criteria = filter.to_domain() if filter else None
    count = counter(info, listings.count_listings, filter=criteria)
    if as_json := listing_edges_as_json(info):
        node, shape = as_json
        async with info.context.db.read_connection() as connection:
            found = await listing_json.listings_as_json(
                connection=connection, filter=criteria, page=page, shape=shape
            )
        return Connection.of_json(found, node, count)
    async with info.context.db.read() as session:
        found = await listings.list_listings(session=session, filter=criteria, page=page)
    return await _with_nested(info, Connection.of(found, Listing.from_row, count))


async def _with_nested(info: Info, connection: Connection[Listing]) -> Connection[Listing]:
    nodes = [edge.node for edge in connection.edges]
    at = ("edges", "node")
    await prefetch_listings(info, nodes, selected(info, *at), at)
    return connection


async def availability(
    info: Info, listing_id: strawberry.ID, start_date: date, end_date: date, quantity: int = 1
) -> Availability:
    public_read(info)
    parsed = parse_uuid(listing_id)
    found = (
        await load_availability(info, parsed, start_date, end_date, quantity) if parsed else None
    )
    if found is None:
        raise not_found("listing", "listingId")
    return found


async def search_availability(
    info: Info,
    start_date: date,
    nights: int,
    quantity: int = 1,
    filter: ListingFilter | None = None,
    first: int = 20,
    after: str | None = None,
) -> Connection[Listing]:
    public_read(info)
    page = page_request(first, after)
    wanted = stay(start_date, nights=nights)
    criteria = filter.to_domain() if filter else None
    count = counter(
        info, availability_service.count_search, stay=wanted, quantity=quantity, filter=criteria
    )
    if as_json := listing_edges_as_json(info):
        node, shape = as_json
        async with info.context.db.read_connection() as connection:
            found = await listing_json.search_as_json(
                connection=connection,
                stay=wanted,
                quantity=quantity,
                filter=criteria,
                page=page,
                shape=shape,
            )
        return Connection.of_json(found, node, count)
    async with info.context.db.read() as session:
        found = await availability_service.search(
            session=session, stay=wanted, quantity=quantity, filter=criteria, page=page
        )
    return await _with_nested(info, Connection.of(found, Listing.from_row, count))


async def create_listing(info: Info, input: CreateListingInput) -> ListingPayload:
    owner = require_principal(info)
    row, errors = await in_transaction(
        info,
        lambda session: listings.create_listing(
            session=session, owner=owner, data=input.to_domain()
        ),
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)
