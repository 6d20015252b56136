from typing import Annotated

import strawberry

from bookwell.core.errors import not_found
from bookwell.core.pagination import page_request
from bookwell.graphql.context import Info
from bookwell.graphql.customers.types import Customer
from bookwell.graphql.shared.common import counter, parse_uuid, require_principal
from bookwell.graphql.shared.pagination import After, Before, Connection, First, Last
from bookwell.services.customers import customers


async def all_customers(
    info: Info,
    listing_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only guests who booked this listing; null: any."),
    ] = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[Customer]:
    viewer = require_principal(info)
    page = page_request(first, after, last, before)
    listing_uuid = parse_uuid(listing_id, "Listing") if listing_id is not None else None
    if listing_id is not None and listing_uuid is None:
        raise not_found("listing", "listingId")
    async with info.context.db.read() as session:
        found = await customers.list_customers(
            session=session, viewer=viewer, listing_id=listing_uuid, page=page
        )
        spent = await customers.spent_by(
            session=session,
            viewer=viewer,
            listing_id=listing_uuid,
            guest_ids=[record.id for record in found.rows],
        )
    count = counter(info, customers.count_customers, viewer=viewer, listing_id=listing_uuid)
    return Connection.of(found, lambda record: Customer.of(record, spent[record.id]), count)
