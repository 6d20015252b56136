"""Host mutations on a listing's terms: policies, base price, fees and price rules."""

import strawberry

from bookwell.context import Info
from bookwell.resolvers.common import in_transaction, parse_uuid, require_principal
from bookwell.schema.errors import UserError
from bookwell.schema.inputs import ListingTermsInput, PriceRuleInput
from bookwell.schema.listing import Listing
from bookwell.schema.payloads import ListingPayload, PriceRulePayload
from bookwell.schema.pricing import PriceRule
from bookwell.services import listing_terms
from bookwell.services.errors import DomainError, not_found


async def update_listing_terms(
    info: Info, listing_id: strawberry.ID, input: ListingTermsInput
) -> ListingPayload:
    principal = require_principal(info)
    listing_uuid = parse_uuid(listing_id)
    if listing_uuid is None:
        return ListingPayload(errors=[UserError.from_domain(not_found("listing", "listingId"))])
    try:
        changes = input.to_domain()
    except DomainError as error:
        return ListingPayload(errors=[UserError.from_domain(error)])
    row, errors = await in_transaction(
        info,
        lambda session: listing_terms.update_terms(
            session=session, principal=principal, listing_id=listing_uuid, changes=changes
        ),
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)


async def add_price_rule(info: Info, input: PriceRuleInput) -> PriceRulePayload:
    principal = require_principal(info)
    listing_uuid = parse_uuid(input.listing_id)
    if listing_uuid is None:
        return PriceRulePayload(errors=[UserError.from_domain(not_found("listing", "listingId"))])
    try:
        rule = input.to_domain()
    except DomainError as error:
        return PriceRulePayload(errors=[UserError.from_domain(error)])
    row, errors = await in_transaction(
        info,
        lambda session: listing_terms.add_price_rule(
            session=session, principal=principal, listing_id=listing_uuid, rule=rule
        ),
    )
    if row is None:
        return PriceRulePayload(errors=errors)
    listing = await info.context.loaders.listing.load(listing_uuid)
    return PriceRulePayload(price_rule=PriceRule.from_row(row, listing.currency))


async def remove_price_rule(info: Info, id: strawberry.ID) -> ListingPayload:
    principal = require_principal(info)
    rule_id = parse_uuid(id)
    if rule_id is None:
        return ListingPayload(errors=[UserError.from_domain(not_found("price rule"))])
    row, errors = await in_transaction(
        info,
        lambda session: listing_terms.remove_price_rule(
            session=session, principal=principal, rule_id=rule_id
        ),
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)
