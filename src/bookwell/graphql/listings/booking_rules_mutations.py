"""Host mutations on a listing's booking rules and their seasons."""

from typing import Annotated

import strawberry

from bookwell.core.errors import InputErrors, not_found
from bookwell.flows import booking_rules as flows
from bookwell.graphql.context import Info
from bookwell.graphql.listings.booking_rules import (
    BookingRuleSeason,
    BookingRuleSeasonInput,
    BookingRuleSeasonPayload,
    BookingRulesInput,
)
from bookwell.graphql.listings.types import Listing, ListingPayload
from bookwell.graphql.shared.common import (
    errors_as_data,
    parse_id,
    parse_uuid,
    require_principal,
)
from bookwell.graphql.shared.errors import INPUT, ArgumentPaths, UserError, user_errors

# setListingBookingRules(listingId:, input:)
RULES = ArgumentPaths(input="input", arguments=frozenset({"listingId"}))


async def set_listing_booking_rules(
    info: Info,
    listing_id: Annotated[
        strawberry.ID, strawberry.argument(description="Your listing to change.")
    ],
    input: Annotated[
        BookingRulesInput,
        strawberry.argument(
            description="The listing's rules, all of them: a null field removes that rule. "
            "Seasons stay as they are."
        ),
    ],
) -> ListingPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_uuid = found.check(parse_id, listing_id, "listing", "listingId")
    rules = found.check(input.to_domain)
    if (error := found.as_error()) is not None:
        return ListingPayload(errors=user_errors(error, RULES))
    assert listing_uuid is not None and rules is not None
    row, errors = await errors_as_data(
        flows.set_rules(info.context.db, principal=principal, listing_id=listing_uuid, rules=rules),
        RULES,
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)


async def add_booking_rule_season(
    info: Info,
    input: Annotated[
        BookingRuleSeasonInput,
        strawberry.argument(description="The season, and the listing it belongs to."),
    ],
) -> BookingRuleSeasonPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_uuid = found.check(parse_id, input.listing_id, "listing", "listingId")
    if (error := found.as_error()) is not None:
        return BookingRuleSeasonPayload(errors=user_errors(error, INPUT))
    assert listing_uuid is not None
    row, errors = await errors_as_data(
        flows.add_season(
            info.context.db, principal=principal, listing_id=listing_uuid, season=input.to_domain()
        ),
        INPUT,
    )
    if row is None:
        return BookingRuleSeasonPayload(errors=errors)
    return BookingRuleSeasonPayload(season=BookingRuleSeason.from_row(row))


async def remove_booking_rule_season(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The season to delete.")],
) -> ListingPayload:
    principal = require_principal(info)
    season_id = parse_uuid(id, "BookingRuleSeason")
    if season_id is None:
        return ListingPayload(errors=[UserError.from_domain(not_found("booking rule season"))])
    row, errors = await errors_as_data(
        flows.remove_season(info.context.db, principal=principal, season_id=season_id)
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)
