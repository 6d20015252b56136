"""Host mutations on a listing's terms: policies, base price, fees and price rules."""

from typing import Annotated

import strawberry

from bookwell.core.errors import InputErrors, not_found
from bookwell.flows import listings as listing_flows
from bookwell.graphql.context import Info
from bookwell.graphql.listings.inputs import ListingTermsInput, PriceRuleInput
from bookwell.graphql.listings.pricing import PriceRule, PriceRulePayload
from bookwell.graphql.listings.types import Listing, ListingPayload
from bookwell.graphql.shared.common import (
    errors_as_data,
    parse_id,
    parse_uuid,
    require_principal,
)
from bookwell.graphql.shared.errors import INPUT, ArgumentPaths, UserError, user_errors

# updateListingTerms(listingId:, input:)
TERMS = ArgumentPaths(input="input", arguments=frozenset({"listingId"}))


async def update_listing_terms(
    info: Info,
    listing_id: Annotated[
        strawberry.ID, strawberry.argument(description="Your listing to change.")
    ],
    input: Annotated[
        ListingTermsInput,
        strawberry.argument(description="The terms to change; null fields stay as they are."),
    ],
) -> ListingPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_uuid = found.check(parse_id, listing_id, "listing", "listingId")
    changes = found.check(input.to_domain)
    if (error := found.as_error()) is not None:
        return ListingPayload(errors=user_errors(error, TERMS))
    assert listing_uuid is not None and changes is not None
    row, errors = await errors_as_data(
        listing_flows.update_terms(
            info.context.db, principal=principal, listing_id=listing_uuid, changes=changes
        ),
        TERMS,
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)


async def add_price_rule(
    info: Info,
    input: Annotated[
        PriceRuleInput, strawberry.argument(description="The rule, and the listing it prices.")
    ],
) -> PriceRulePayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_uuid = found.check(parse_id, input.listing_id, "listing", "listingId")
    rule = found.check(input.to_domain)
    if (error := found.as_error()) is not None:
        return PriceRulePayload(errors=user_errors(error, INPUT))
    assert listing_uuid is not None and rule is not None
    row, errors = await errors_as_data(
        listing_flows.add_price_rule(
            info.context.db, principal=principal, listing_id=listing_uuid, rule=rule
        ),
        INPUT,
    )
    if row is None:
        return PriceRulePayload(errors=errors)
    listing = await info.context.loaders.listing.load(listing_uuid)
    return PriceRulePayload(price_rule=PriceRule.from_row(row, listing.currency))


async def remove_price_rule(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The price rule to delete.")],
) -> ListingPayload:
    principal = require_principal(info)
    rule_id = parse_uuid(id, "PriceRule")
    if rule_id is None:
        return ListingPayload(errors=[UserError.from_domain(not_found("price rule"))])
    row, errors = await errors_as_data(
        listing_flows.remove_price_rule(info.context.db, principal=principal, rule_id=rule_id)
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)
