"""Listing flows: create a listing, change it or its terms (policies, prices, price rules),
archive, unarchive or delete it."""

import contextlib
import logging
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.storage import PhotoStorage
from bookwell.flows.transaction import in_one_transaction
from bookwell.flows.waitlist import offer_freed_units
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings import (
    archive,
    booking_rules_store,
    changes,
    listings,
    tax_edits,
    terms,
)
from bookwell.services.listings import taxes as listing_taxes
from bookwell.services.listings.booking_rules import Rules
from bookwell.services.listings.changes import ListingChanges
from bookwell.services.listings.charges import Tax
from bookwell.services.listings.listings import NewListing
from bookwell.services.listings.records import ListingRecord, PriceRuleRecord
from bookwell.services.listings.terms import NewPriceRule, TermsUpdate


async def create_listing(
    db: Database, *, owner: Principal, data: NewListing, booking_rules: Rules | None = None
) -> ListingRecord:
    async def create(session: AsyncSession) -> ListingRecord:
        row = await listings.create_listing(session=session, owner=owner, data=data)
        if booking_rules is None:
            return row
        return await booking_rules_store.set_rules(
            session=session, principal=owner, listing_id=row.id, rules=booking_rules
        )

    return await in_one_transaction(db, create)


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


log = logging.getLogger(__name__)


async def update_listing(
    db: Database,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    wanted: ListingChanges,
    booking_rules: Rules | None = None,
) -> ListingRecord:
    """The listing's fields, and its booking rules when given (either alone, or both). Units
    added (a stay's count, a slot listing's tables, rooms or items) go to the waitlist once
    committed."""

    async def update(session: AsyncSession) -> ListingRecord:
        if (
            booking_rules is None
            or wanted.given()
            or wanted.terms is not None
            or wanted.slot_units is not None
        ):
            row = await changes.update_listing(
                session=session, principal=principal, listing_id=listing_id, changes=wanted
            )
        if booking_rules is None:
            return row
        return await booking_rules_store.set_rules(
            session=session, principal=principal, listing_id=listing_id, rules=booking_rules
        )

    updated = await in_one_transaction(db, update)
    if wanted.slot_units is not None or "units" in wanted.given():
        await offer_freed_units(db, [listing_id])
    return updated


async def set_archived(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, archived: bool
) -> ListingRecord:
    return await in_one_transaction(
        db,
        lambda session: archive.set_archived(
            session=session, principal=principal, listing_id=listing_id, archived=archived
        ),
    )


async def delete_listing(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, storage: PhotoStorage
) -> uuid.UUID:
    """Delete a listing that was never booked; its photo files go once that is committed
    (a failure to remove them leaves files nobody links to, never a photo without files)."""
    deleted = await in_one_transaction(
        db,
        lambda session: archive.delete_listing(
            session=session, principal=principal, listing_id=listing_id
        ),
    )
    for key in deleted.photo_keys:
        with contextlib.suppress(OSError):
            await storage.delete_prefix(key)
    return deleted.listing_id


async def set_listing_taxes(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, taxes: Sequence[Tax]
) -> list[Tax]:
    return await in_one_transaction(
        db,
        lambda session: listing_taxes.set_listing_taxes(
            session=session, principal=principal, listing_id=listing_id, taxes=taxes
        ),
    )


async def add_listing_tax(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, tax: Tax
) -> uuid.UUID:
    return await in_one_transaction(
        db,
        lambda session: tax_edits.add_tax(
            session=session, principal=principal, listing_id=listing_id, tax=tax
        ),
    )


async def replace_listing_tax(
    db: Database, *, principal: Principal, tax_id: uuid.UUID, tax: Tax | None
) -> uuid.UUID | None:
    return await in_one_transaction(
        db,
        lambda session: tax_edits.replace_tax(
            session=session, principal=principal, tax_id=tax_id, tax=tax
        ),
    )
