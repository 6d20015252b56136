"""Waitlist flows: join, leave, and the step that follows every release of units: offering
them to the waitlist once the release has committed."""

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from bookwell.core.db import Database
from bookwell.flows.listing_gate import in_listing_turn
from bookwell.flows.transaction import Work, in_one_transaction
from bookwell.services.accounts.principal import Principal
from bookwell.services.waitlist import waitlist
from bookwell.services.waitlist.entries import WaitlistEntryRecord
from bookwell.services.waitlist.requests import NewWaitlistEntry
from bookwell.services.waitlist.waitlist import Left

log = logging.getLogger(__name__)

T = TypeVar("T")


async def offer_freed_units(db: Database, listing_ids: Iterable[uuid.UUID]) -> int:
    """Offer freed units on these listings to their waitlists, one transaction per listing;
    how many offers were made.

    Runs after the transaction that freed the units has committed (services/waitlist/
    waitlist.py says why). A failure here must not fail the change that already succeeded:
    it is logged, and the next release, expiry or sweep on the listing offers the units
    again (a listing too busy for a turn too: flows/listing_gate.py)."""
    offered = 0
    for listing_id in dict.fromkeys(listing_ids):
        try:
            # An offer places holds: in one of the listing's turns, as a booking.
            offers = await in_listing_turn(
                db, listing_id, _in_a_transaction(db, _offering(listing_id))
            )
        except Exception:
            log.exception("offering freed units of listing %s failed", listing_id)
            continue
        offered += len(offers)
    return offered


def _in_a_transaction(db: Database, work: Work[T]) -> Callable[[], Awaitable[T]]:
    return lambda: in_one_transaction(db, work)


def _offering(listing_id: uuid.UUID) -> Work[list[WaitlistEntryRecord]]:
    """The work that offers the freed units of one listing (bound now, not in a loop's
    closure)."""
    return lambda session: waitlist.offer_freed_units(session=session, listing_id=listing_id)


async def join(
    db: Database, *, principal: Principal, data: NewWaitlistEntry
) -> WaitlistEntryRecord:
    return await in_one_transaction(
        db, lambda session: waitlist.join_waitlist(session=session, principal=principal, data=data)
    )


async def leave(db: Database, *, principal: Principal, entry_id: uuid.UUID) -> Left:
    """Leave one's entry; an offer's hold it cancels goes to the next in line after the
    commit."""
    left = await in_one_transaction(
        db,
        lambda session: waitlist.leave_waitlist(
            session=session, principal=principal, entry_id=entry_id
        ),
    )
    if left.released_hold:
        await offer_freed_units(db, [left.entry.listing_id])
    return left
