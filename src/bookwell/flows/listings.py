"""Listing flows: create a listing, and change its terms (policies, prices, price rules)."""

import uuid

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings import listings, terms
from bookwell.services.listings.listings import NewListing
from bookwell.services.listings.records import ListingRecord, PriceRuleRecord
from bookwell.services.listings.terms import NewPriceRule, TermsUpdate


async def create_listing(db: Database, *, owner: Principal, data: NewListing) -> ListingRecord:
    return await in_one_transaction(
        db, lambda session: listings.create_listing(session=session, owner=owner, data=data)
    )


async def update_terms(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, changes: TermsUpdate
) -> ListingRecord:
    return await in_one_transaction(
        db,
        lambda session: terms.update_terms(
            session=session, principal=principal, listing_id=listing_id, changes=changes
        ),
    )


async def add_price_rule(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, rule: NewPriceRule
) -> PriceRuleRecord:
    return await in_one_transaction(
        db,
        lambda session: terms.add_price_rule(
            session=session, principal=principal, listing_id=listing_id, rule=rule
        ),
    )


async def remove_price_rule(
    db: Database, *, principal: Principal, rule_id: uuid.UUID
) -> ListingRecord:
    """The listing the rule belonged to."""
    return await in_one_transaction(
        db,
        lambda session: terms.remove_price_rule(
            session=session, principal=principal, rule_id=rule_id
        ),
    )
