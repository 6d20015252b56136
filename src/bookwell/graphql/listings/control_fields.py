"""The Query and Mutation fields of what a host sets beside a listing: taxes, vouchers and
booking rules (graphql/schema.py inherits them)."""

import strawberry

from bookwell.graphql.listings import booking_rules_mutations
from bookwell.graphql.listings import taxes as listing_tax_resolvers
from bookwell.graphql.listings import vouchers as voucher_resolvers
from bookwell.graphql.listings.booking_rules import BookingRuleSeasonPayload
from bookwell.graphql.listings.taxes import ListingTaxesPayload
from bookwell.graphql.listings.types import ListingPayload
from bookwell.graphql.listings.vouchers import Voucher, VoucherPayload


@strawberry.type
class ListingControlQueries:
    vouchers: list[Voucher] = strawberry.field(
        resolver=voucher_resolvers.vouchers,
        description="Your voucher codes (a host's own, never another's), newest first; "
        "listingId: only those that apply to it. Guests are FORBIDDEN.",
    )


@strawberry.type
class ListingControlMutations:
    set_listing_taxes: ListingTaxesPayload = strawberry.mutation(
        resolver=listing_tax_resolvers.set_listing_taxes,
        description="The host replaces a listing's taxes (VAT, a tourist tax), for bookings "
        "made afterwards. Errors: NOT_FOUND, FORBIDDEN, INVALID_INPUT.",
    )
    create_voucher: VoucherPayload = strawberry.mutation(
        resolver=voucher_resolvers.create_voucher,
        description="A host creates a voucher code for their listings (all, or some). "
        "Errors: FORBIDDEN, NOT_FOUND, INVALID_INPUT, INVALID_DATES, ALREADY_EXISTS.",
    )
    update_voucher: VoucherPayload = strawberry.mutation(
        resolver=voucher_resolvers.update_voucher,
        description="A host deactivates one of their codes, or changes its end or limit; "
        "bookings made keep their discount. Errors: NOT_FOUND, INVALID_INPUT.",
    )
    set_listing_booking_rules: ListingPayload = strawberry.mutation(
        resolver=booking_rules_mutations.set_listing_booking_rules,
        description="The host sets a listing's booking rules (see BookingRules), for bookings "
        "and moves of dates made afterwards. Errors: NOT_FOUND, FORBIDDEN, INVALID_INPUT.",
    )
    add_booking_rule_season: BookingRuleSeasonPayload = strawberry.mutation(
        resolver=booking_rules_mutations.add_booking_rule_season,
        description="The host sets other booking rules for arrivals in a season. Errors: "
        "NOT_FOUND, FORBIDDEN, INVALID_INPUT, INVALID_DATES.",
    )
    remove_booking_rule_season: ListingPayload = strawberry.mutation(
        resolver=booking_rules_mutations.remove_booking_rule_season,
        description="The host deletes a season of booking rules; answers its listing. NOT_FOUND.",
    )
