"""The waitlist of slot listings (restaurants, spaces, equipment): an entry waits for a time
window [starts_at, ends_at) on the listing's grid, `quantity` units (a restaurant: one table
that seats `party_size`). When units free up, the oldest WAITING entry whose window now has
room is offered a PENDING hold of them for the listing's offer_minutes, as for stays.

The exclusion constraint on reservation_units decides each hold (services/slots/taking.py),
so an offer never overbooks. The offerer holds the waitlist's advisory lock and then the
listing's row lock, which every slot booking takes before any unit: while it offers, no
booking takes units on the listing, so the oldest fitting entry is the one served.
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, invalid
from bookwell.core.zones import zone_info
from bookwell.models import (
    Listing,
    ListingKind,
    ListingUnit,
    Reservation,
    ReservationStatus,
    ReservationUnit,
    User,
    WaitlistEntry,
    WaitlistStatus,
    new_id,
)
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.guests import checked_guests, slot_party
from bookwell.services.listings.booking_rules import booking_rules_from_json, check
from bookwell.services.listings.booking_rules_store import rules_json
from bookwell.services.listings.pricing import taxes_json
from bookwell.services.slots.buffers import Buffers, buffered
from bookwell.services.slots.rules import check_party, default_minutes, hours_of
from bookwell.services.slots.taking import (
    SlotHold,
    candidate_units,
    lock_listing_row,
    slot_of,
    take_units,
)
from bookwell.services.slots.times import Slot, check_bookable_now, requested_slot
from bookwell.services.waitlist.entries import (
    WaitlistEntryRecord,
    entries_by_ids,
    entry_by_id,
)
from bookwell.services.waitlist.offers import mark_offered
from bookwell.services.waitlist.requests import (
    NewWaitlistEntry,
    lock_and_check_not_waiting,
)

log = logging.getLogger(__name__)

WAITING = WaitlistStatus.WAITING


def _live() -> ColumnElement[bool]:
    """A reservation that holds its units now: an overdue PENDING hold no longer counts."""
    return or_(
        Reservation.status != ReservationStatus.PENDING,
        Reservation.expires_at.is_(None),
        Reservation.expires_at > func.now(),
    )


def _free_units(listing: Any, kind: Any, starts_at: Any, ends_at: Any, party_size: Any) -> Any:
    """How many of the listing's units that take the party nobody holds live for part of
    [starts_at, ends_at) with the listing's buffers around it (services/slots/buffers.py): a
    scalar subquery (its arguments may be columns of an outer row; `listing` has the
    listing's id and buffers, a row or the Listing table)."""
    listing_id = listing.id
    window = buffered(
        starts_at, ends_at, listing.buffer_before_minutes, listing.buffer_after_minutes
    )
    held = (
        exists()
        .where(
            ReservationUnit.unit_id == ListingUnit.id,
            ReservationUnit.holding,
            ReservationUnit.occupied.overlaps(window),
            Reservation.id == ReservationUnit.reservation_id,
            _live(),
        )
        .correlate_except(ReservationUnit, Reservation)
    )
    seats = or_(
        kind != ListingKind.RESTAURANT,
        func.coalesce(ListingUnit.seats, 0) >= func.coalesce(party_size, 1),
    )
    return (
        select(func.count())
        .select_from(ListingUnit)
        .where(ListingUnit.listing_id == listing_id, seats, ~held)
        .correlate_except(ListingUnit)
        .scalar_subquery()
    )


def _window(listing: Row[*tuple[Any, ...]], data: NewWaitlistEntry) -> Slot:
    if data.start_date is not None or data.end_date is not None or data.nights is not None:
        raise invalid(
            "startDate",
            f"A {listing.kind.value} listing waits for a time window: give startsAt (and "
            "endsAt), not dates.",
        )
    if data.starts_at is None:
        raise invalid("startsAt", "A slot listing's waitlist entry names its startsAt.")
    slot = requested_slot(
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        zone=zone_info(listing.timezone),
        hours=hours_of(listing),
        step_minutes=listing.slot_minutes,
        default_minutes=default_minutes(listing),
    )
    check_bookable_now(slot, datetime.now(UTC))
    return slot


async def join_slot_waitlist(
    *, session: AsyncSession, principal: Principal, data: NewWaitlistEntry
) -> WaitlistEntryRecord:
    """Wait for a slot listing's window that is full now (for a restaurant: no free table
    that seats the party). A window with room is refused (INVALID_STATE: book it instead),
    and so is a second WAITING entry of the principal for the same window (ALREADY_EXISTS)."""
    largest = select(func.max(ListingUnit.seats)).where(ListingUnit.listing_id == data.listing_id)
    stmt = select(*Listing.__table__.c, largest.scalar_subquery().label("largest_table")).where(
        Listing.id == data.listing_id
    )
    listing = (await session.execute(stmt)).one()
    slot = _window(listing, data)
    guests = checked_guests(data.adults, data.children, data.special_requests)
    party = slot_party(data.party_size, guests)
    guests_field = "partySize" if data.party_size is not None else "adults"
    check_party(listing, party, data.quantity, listing.largest_table or 0, guests_field)

    await lock_and_check_not_waiting(
        session=session,
        listing_id=data.listing_id,
        user_id=principal.user_id,
        same_wait=(WaitlistEntry.starts_at == slot.starts_at)
        & (WaitlistEntry.ends_at == slot.ends_at),
        what="time",
    )
    free = _free_units(listing, listing.kind, slot.starts_at, slot.ends_at, party)
    if (await session.execute(select(free))).scalar_one() >= data.quantity:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"There is room from {slot.local_start.isoformat(' ', 'minutes')} to "
            f"{slot.local_end.isoformat(' ', 'minutes')}: book it instead.",
        )
    entry_id = new_id()
    local_date = slot.local_start.date()
    await session.execute(
        insert(WaitlistEntry).values(
            id=entry_id,
            listing_id=data.listing_id,
            user_id=principal.user_id,
            start_date=local_date,
            end_date=local_date + timedelta(days=1),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            party_size=party,
            adults=guests.adults,
            children=guests.children,
            special_requests=guests.special_requests,
            quantity=data.quantity,
            status=WAITING,
        )
    )
    return await entry_by_id(session=session, entry_id=entry_id)


# --- Offering freed units ---------------------------------------------------------------


async def _lapse_started_entries(*, session: AsyncSession, listing_id: uuid.UUID) -> None:
    """A WAITING entry whose window has begun can no longer be offered."""
    await session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.listing_id == listing_id,
            WaitlistEntry.status == WAITING,
            WaitlistEntry.starts_at <= func.now(),
        )
        .values(status=WaitlistStatus.LAPSED)
    )


async def _oldest_fitting(
    *, session: AsyncSession, listing_id: uuid.UUID, passed_over: Sequence[uuid.UUID]
) -> Row[*tuple[Any, ...]] | None:
    """The oldest WAITING entry with `quantity` units free (that seat its party) for its whole
    window, with what its hold needs to know."""
    entry = WaitlistEntry
    free = _free_units(Listing, Listing.kind, entry.starts_at, entry.ends_at, entry.party_size)
    stmt = (
        select(
            entry.id,
            entry.user_id,
            entry.starts_at,
            entry.ends_at,
            entry.party_size,
            entry.adults,
            entry.children,
            entry.special_requests,
            entry.quantity,
            User.name.label("guest_name"),
        )
        .join(Listing, Listing.id == entry.listing_id)
        .join(User, User.id == entry.user_id)
        .where(
            entry.listing_id == listing_id,
            entry.status == WAITING,
            entry.starts_at.is_not(None),
            free >= entry.quantity,
        )
        .order_by(entry.id)
        .limit(1)
    )
    if passed_over:
        stmt = stmt.where(entry.id.not_in(passed_over))
    return (await session.execute(stmt)).one_or_none()


class _NotOffered(Exception):
    """Others took the units, or the entry left WAITING: undo the hold."""


async def _offer(
    *, session: AsyncSession, listing: Row[*tuple[Any, ...]], entry: Row[*tuple[Any, ...]]
) -> bool:
    """Hold the entry's units and mark it OFFERED, both or neither (one savepoint)."""
    slot = slot_of(entry.starts_at, entry.ends_at, zone_info(listing.timezone))
    rules = booking_rules_from_json(listing.booking_rules)
    broken = check(rules, slot.starts_at, slot.ends_at, datetime.now(UTC), listing.timezone)
    if broken is not None:
        log.info("waitlist entry %s not offered: %s", entry.id, broken.message)
        return False
    try:
        async with session.begin_nested():
            candidates = await candidate_units(
                session=session,
                listing_id=listing.id,
                kind=listing.kind,
                slot=slot,
                party_size=entry.party_size,
                buffers=Buffers.of(listing),
            )
            hold = SlotHold(
                guest_id=entry.user_id,
                guest_name=entry.guest_name,
                slot=slot,
                party_size=entry.party_size,
                quantity=entry.quantity,
                hold_minutes=listing.offer_minutes,
                adults=entry.adults,
                children=entry.children,
                special_requests=entry.special_requests,
            )
            reservation = await take_units(
                session=session, listing=listing, hold=hold, candidates=candidates
            )
            if reservation is None:
                raise _NotOffered
            if not await mark_offered(
                session=session, entry_id=entry.id, reservation_id=reservation.id
            ):
                raise _NotOffered
    except _NotOffered:
        log.info("waitlist entry %s not offered: its units were taken meanwhile", entry.id)
        return False
    return True


async def offer_slot_units(
    *, session: AsyncSession, listing_id: uuid.UUID
) -> list[WaitlistEntryRecord]:
    """Offer what is free now on a slot listing, oldest fitting entry first; the entries
    offered. The caller holds the waitlist's lock and has expired overdue holds and settled
    earlier offers (waitlist.offer_freed_units)."""
    await _lapse_started_entries(session=session, listing_id=listing_id)
    await lock_listing_row(session=session, listing_id=listing_id)
    listing = (
        await session.execute(
            select(
                *Listing.__table__.c,
                rules_json(Listing.id).label("booking_rules"),
                taxes_json(Listing.id).label("taxes"),
            ).where(Listing.id == listing_id)
        )
    ).one()
    offered: list[uuid.UUID] = []
    passed_over: list[uuid.UUID] = []
    while (
        entry := await _oldest_fitting(
            session=session, listing_id=listing_id, passed_over=passed_over
        )
    ) is not None:
        if await _offer(session=session, listing=listing, entry=entry):
            offered.append(entry.id)
        else:
            passed_over.append(entry.id)
    return await entries_by_ids(session=session, ids=offered) if offered else []
