"""Hosts set a listing's booking rules and their seasons (services/listings/booking_rules*)."""

import uuid

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings import booking_rules_store as store
from bookwell.services.listings.booking_rules import Rules
from bookwell.services.listings.booking_rules_store import BookingRuleRecord, NewSeason
from bookwell.services.listings.records import ListingRecord


async def set_rules(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, rules: Rules
) -> ListingRecord:
    return await in_one_transaction(
        db,
        lambda session: store.set_rules(
            session=session, principal=principal, listing_id=listing_id, rules=rules
        ),
    )


async def add_season(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, season: NewSeason
) -> BookingRuleRecord:
    return await in_one_transaction(
        db,
        lambda session: store.add_season(
            session=session, principal=principal, listing_id=listing_id, season=season
        ),
    )


async def remove_season(
    db: Database, *, principal: Principal, season_id: uuid.UUID
) -> ListingRecord:
    """The listing the season belonged to."""
    return await in_one_transaction(
        db,
        lambda session: store.remove_season(
            session=session, principal=principal, season_id=season_id
        ),
    )
