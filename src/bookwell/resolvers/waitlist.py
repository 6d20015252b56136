import logging
import uuid
from collections.abc import Sequence

import strawberry
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.context import Info
from bookwell.resolvers.common import counter, in_transaction, parse_uuid, require_principal
from bookwell.schema.errors import UserError
from bookwell.schema.pagination import Connection
from bookwell.schema.waitlist import JoinWaitlistInput, WaitlistEntry, WaitlistEntryPayload
from bookwell.services import waitlist, waitlist_entries
from bookwell.services.errors import DomainError, not_found
from bookwell.services.pagination import page_request
from bookwell.services.principal import Principal
from bookwell.services.reservations import reservations_by_ids

log = logging.getLogger(__name__)

Offers = dict[uuid.UUID, Row]


async def _offers(session: AsyncSession, viewer: Principal, entries: Sequence[Row]) -> Offers:
    """The offer holds of these entries, in one query."""
    ids = [row.reservation_id for row in entries if row.reservation_id is not None]
    if not ids:
        return {}
    found = await reservations_by_ids(session=session, viewer=viewer, ids=ids)
    return {row.id: row for row in found}


def _entry(row: Row, offers: Offers) -> WaitlistEntry:
    return WaitlistEntry.from_row(row, offers.get(row.reservation_id))


async def my_waitlist(
    info: Info, first: int = 20, after: str | None = None
) -> Connection[WaitlistEntry]:
    """Your waitlist entries, newest first."""
    owner = require_principal(info)
    page = page_request(first, after)
    async with info.context.db.read() as session:
        found = await waitlist_entries.list_entries(session=session, owner=owner, page=page)
        offers = await _offers(session, owner, found.rows)
    count = counter(info, waitlist_entries.count_entries, owner=owner)
    return Connection.of(found, lambda row: _entry(row, offers), count)


def _failed(error: DomainError) -> WaitlistEntryPayload:
    return WaitlistEntryPayload(errors=[UserError.from_domain(error)])


async def join_waitlist(info: Info, input: JoinWaitlistInput) -> WaitlistEntryPayload:
    principal = require_principal(info)
    listing_id = parse_uuid(input.listing_id)
    if listing_id is None:
        return _failed(not_found("listing", "listingId"))
    data = waitlist.NewWaitlistEntry(
        listing_id=listing_id,
        start_date=input.start_date,
        end_date=input.end_date,
        nights=input.nights,
        quantity=input.quantity,
    )
    row, errors = await in_transaction(
        info,
        lambda session: waitlist.join_waitlist(session=session, principal=principal, data=data),
    )
    return WaitlistEntryPayload(waitlist_entry=_entry(row, {}) if row else None, errors=errors)


async def leave_waitlist(info: Info, id: strawberry.ID) -> WaitlistEntryPayload:
    """Leaving with an open offer cancels its hold; the units go to the next in line."""
    principal = require_principal(info)
    entry_id = parse_uuid(id)
    if entry_id is None:
        return _failed(not_found("waitlist entry"))

    async def leave(session: AsyncSession) -> tuple[waitlist.Left, Offers]:
        left = await waitlist.leave_waitlist(
            session=session, principal=principal, entry_id=entry_id
        )
        return left, await _offers(session, principal, [left.entry])

    done, errors = await in_transaction(info, leave)
    if done is None:
        return WaitlistEntryPayload(errors=errors)
    left, offers = done
    if left.released_hold:
        await offer_after_release(info, left.entry.listing_id)
    return WaitlistEntryPayload(waitlist_entry=_entry(left.entry, offers))


async def offer_after_release(info: Info, listing_id: uuid.UUID) -> None:
    """Offer released units to the waitlist in a transaction of its own, after the release
    committed. A failure here must not fail the mutation that already succeeded: it is
    logged, and the next release or expiry on the listing offers the units again."""
    try:
        async with info.context.db.transaction() as session:
            await waitlist.offer_freed_units(session=session, listing_id=listing_id)
    except Exception:
        log.exception("offering freed units of listing %s failed", listing_id)
