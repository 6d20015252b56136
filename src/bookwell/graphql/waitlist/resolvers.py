import uuid
from collections.abc import Sequence
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import InputErrors, invalid, not_found
from bookwell.core.pagination import page_request
from bookwell.flows import waitlist as waitlist_flows
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import (
    counter,
    errors_as_data,
    parse_id,
    parse_uuid,
    require_principal,
)
from bookwell.graphql.shared.errors import INPUT, UserError, user_errors
from bookwell.graphql.shared.pagination import After, Before, Connection, First, Last
from bookwell.graphql.waitlist.types import JoinWaitlistInput, WaitlistEntry, WaitlistEntryPayload
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.guests import checked_guests, slot_party
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.booking.reservations import reservations_by_ids
from bookwell.services.listings.stays import check_quantity, requested_stay
from bookwell.services.slots.rules import check_party_size
from bookwell.services.waitlist import entries as waitlist_entries
from bookwell.services.waitlist.entries import WaitlistEntryRecord
from bookwell.services.waitlist.requests import NewWaitlistEntry

Offers = dict[uuid.UUID, ReservationRecord]


async def _offers(
    session: AsyncSession, viewer: Principal, entries: Sequence[WaitlistEntryRecord]
) -> Offers:
    """The offer holds of these entries, in one query."""
    ids = [row.reservation_id for row in entries if row.reservation_id is not None]
    if not ids:
        return {}
    found = await reservations_by_ids(session=session, viewer=viewer, ids=ids)
    return {row.id: row for row in found}


def _entry(row: WaitlistEntryRecord, offers: Offers) -> WaitlistEntry:
    offer = offers.get(row.reservation_id) if row.reservation_id is not None else None
    return WaitlistEntry.from_row(row, offer)


async def waitlist_entries_seen_by(
    info: Info, viewer: Principal, ids: list[uuid.UUID]
) -> list[WaitlistEntry]:
    """Entries by id as myWaitlist shows them: the viewer's own (an admin's: all)."""
    async with info.context.db.read() as session:
        rows = await waitlist_entries.entries_by_ids(session=session, ids=ids)
        rows = [row for row in rows if viewer.is_admin or row.user_id == viewer.user_id]
        offers = await _offers(session, viewer, rows)
    return [_entry(row, offers) for row in rows]


async def my_waitlist(
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[WaitlistEntry]:
    """Your waitlist entries, newest first."""
    owner = require_principal(info)
    page = page_request(first, after, last, before)
    async with info.context.db.read() as session:
        found = await waitlist_entries.list_entries(session=session, owner=owner, page=page)
        offers = await _offers(session, owner, found.rows)
    count = counter(info, waitlist_entries.count_entries, owner=owner)
    return Connection.of(found, lambda row: _entry(row, offers), count)


async def join_waitlist(
    info: Info,
    input: Annotated[JoinWaitlistInput, strawberry.argument(description="The range to wait for.")],
) -> WaitlistEntryPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_id = found.check(parse_id, input.listing_id, "listing", "listingId")
    if input.start_date is not None:
        found.check(requested_stay, input.start_date, input.end_date, input.nights, input.quantity)
    elif input.starts_at is None:
        found.add(invalid("startDate", "Give startDate (a stay) or startsAt (a slot listing)."))
    else:
        found.check(check_party_size, input.party_size)
        found.check(check_quantity, input.quantity)
    guests = found.check(checked_guests, input.adults, input.children, input.special_requests)
    if guests is not None and input.starts_at is not None:
        found.check(slot_party, input.party_size, guests)
    if (error := found.as_error()) is not None:
        return WaitlistEntryPayload(errors=user_errors(error, INPUT))
    assert listing_id is not None
    data = NewWaitlistEntry(
        listing_id=listing_id,
        start_date=input.start_date,
        end_date=input.end_date,
        nights=input.nights,
        quantity=input.quantity,
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        party_size=input.party_size,
        adults=input.adults,
        children=input.children,
        special_requests=input.special_requests,
    )
    row, errors = await errors_as_data(
        waitlist_flows.join(info.context.db, principal=principal, data=data), INPUT
    )
    return WaitlistEntryPayload(waitlist_entry=_entry(row, {}) if row else None, errors=errors)


async def leave_waitlist(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="Your waitlist entry's id.")],
) -> WaitlistEntryPayload:
    """Leaving with an open offer cancels its hold; the units go to the next in line."""
    principal = require_principal(info)
    entry_id = parse_uuid(id, "WaitlistEntry")
    if entry_id is None:
        return WaitlistEntryPayload(errors=[UserError.from_domain(not_found("waitlist entry"))])
    left, errors = await errors_as_data(
        waitlist_flows.leave(info.context.db, principal=principal, entry_id=entry_id)
    )
    if left is None:
        return WaitlistEntryPayload(errors=errors)
    async with info.context.db.read() as session:
        offers = await _offers(session, principal, [left.entry])
    return WaitlistEntryPayload(waitlist_entry=_entry(left.entry, offers))
