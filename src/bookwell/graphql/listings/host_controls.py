"""Listing's fields for what its host sets and reads beside the listing itself: price rules,
booking rules and their seasons, taxes, blackouts, the calendar feed and the host's copies
of status emails, kept apart from the listing's own types."""

from typing import Protocol, cast
from uuid import UUID

import strawberry

from bookwell.graphql.context import Info
from bookwell.graphql.listings.blackouts import BLACKOUTS_COST, Blackout, blackouts_of_listing
from bookwell.graphql.listings.booking_rules import (
    BookingRules,
    BookingRuleSeason,
    rules_of,
    seasons_of,
)
from bookwell.graphql.listings.pricing import PriceRule
from bookwell.graphql.listings.taxes import Tax
from bookwell.graphql.shared.enums import HostNotice
from bookwell.graphql.shared.money import Money
from bookwell.services.accounts.feed_tokens import feed_url


@strawberry.type
class HostNoticeFields:
    """Set with the listing's terms (updateListingTerms); read by workers/notices.py."""

    notify_host_on_check_in: HostNotice = strawberry.field(
        description="When its host gets a copy of the guest's email as a booking becomes ACTIVE "
        "(checked in)."
    )
    notify_host_on_no_show: HostNotice = strawberry.field(
        description="When its host gets a copy of the guest's email as a booking is marked NO_SHOW."
    )


class _Listing(Protocol):
    uuid: UUID
    owner_id: UUID
    nightly_price: Money


@strawberry.type
class HostControlFields:
    @strawberry.field(description="The host's price rules, newest (winning) first.")
    async def price_rules(self, info: Info) -> list[PriceRule]:
        listing = cast(_Listing, self)
        rows = await info.context.loaders.price_rules.load(listing.uuid)
        return [PriceRule.from_row(row, listing.nightly_price.currency) for row in rows]

    @strawberry.field(description="What the host lets guests book (its own rules).")
    async def booking_rules(self, info: Info) -> BookingRules:
        return await rules_of(info, cast(_Listing, self).uuid)

    @strawberry.field(description="Seasons of other booking rules, newest (winning) first.")
    async def booking_rule_seasons(self, info: Info) -> list[BookingRuleSeason]:
        return await seasons_of(info, cast(_Listing, self).uuid)

    @strawberry.field(
        description="Its taxes and fees by law (VAT, a tourist tax), in the order prices "
        "show them; set by its host with setListingTaxes."
    )
    async def taxes(self, info: Info) -> list[Tax]:
        listing = cast(_Listing, self)
        terms = await info.context.loaders.quote_terms.load(listing.uuid)
        assert terms is not None  # this listing exists
        return [Tax.of(tax, listing.nightly_price.currency) for tax in terms.terms.taxes]

    blackouts: list[Blackout] | None = strawberry.field(
        resolver=blackouts_of_listing,
        description="Its blackouts not over yet (createBlackout), earliest first; null "
        "unless you are its host or an admin.",
        metadata=BLACKOUTS_COST,
    )

    @strawberry.field(
        description="The iCalendar feed of this listing's booked nights, for other calendars "
        "and channel managers to subscribe to. Keep it secret: it works without signing in. "
        "Null unless you are the listing's host or an admin."
    )
    def calendar_url(self, info: Info) -> str | None:
        listing = cast(_Listing, self)
        viewer = info.context.principal
        if viewer is None or (viewer.user_id != listing.owner_id and not viewer.is_admin):
            return None
        key = info.context.access_tokens.key
        return feed_url(info.context.settings.public_url, key, listing.uuid)
