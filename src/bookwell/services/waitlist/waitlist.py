"""Waitlist: guests join a full range; when units free up the oldest entry whose whole range
fits again is offered a PENDING hold (listing.offer_minutes); a lapsed offer passes to the next.
Slot listings (restaurants, spaces, equipment) wait for a time window instead of nights, with
the same lifecycle (slot_waitlist.py).

Entries go WAITING -> OFFERED (reservation_id is the offer hold) -> BOOKED (the hold was
confirmed) or LAPSED (it expired or was cancelled, or the stay's start passed while waiting);
WAITING or OFFERED -> LEFT.

Serialisation: everything that changes a listing's entries (join, leave, offer) first takes a
transaction-scoped advisory lock on the listing, so offerers run one at a time per listing and
each sees what the one before committed. Offers are made in a transaction of their own, after
the transaction that released units has committed: it may lock entries and then inventory.
An offerer locks all the nights it may need first, in date order (LOCK_NIGHTS below).
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, invalid, not_found
from bookwell.models import (
    Listing,
    ListingKind,
    ListingNight,
    Reservation,
    ReservationStatus,
    WaitlistEntry,
    WaitlistStatus,
    new_id,
)
from bookwell.models.payment import reservation_paid
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.guests import Guests, check_guest_count, checked_guests
from bookwell.services.booking.holds import expire_holds, place_hold
from bookwell.services.listings.pricing import archived_error
from bookwell.services.listings.stays import Stay, check_not_past, requested_stay
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event
from bookwell.services.waitlist.entries import (
    ENDED,
    TAKEN_UP,
    WaitlistEntryRecord,
    effective_status,
    entries_by_ids,
    entry_by_id,
)
from bookwell.services.waitlist.offers import mark_offered

# LOCK_SPACE and NewWaitlistEntry are re-exported: tests and callers name them from here.
from bookwell.services.waitlist.requests import LOCK_SPACE as LOCK_SPACE
from bookwell.services.waitlist.requests import NewWaitlistEntry as NewWaitlistEntry
from bookwell.services.waitlist.requests import lock_and_check_not_waiting, lock_listing
from bookwell.services.waitlist.slot_waitlist import join_slot_waitlist, offer_slot_units

log = logging.getLogger(__name__)

WAITING = WaitlistStatus.WAITING
OFFERED = WaitlistStatus.OFFERED
LEFT_REASON = "The guest left the waitlist."


# --- Joining and leaving ----------------------------------------------------------------


async def free_units_now(*, session: AsyncSession, listing_id: uuid.UUID, booked: Stay) -> int:
    """The fewest units free on any night of the range, counting overdue PENDING holds as
    free (they are expired lazily by the next booking, so they never block one)."""
    stmt = text("""
        SELECT l.units - coalesce(max(coalesce(n.booked, 0) - coalesce(o.overdue, 0)), 0)
          FROM listings l
         CROSS JOIN generate_series(CAST(:start AS date), CAST(:end AS date) - 1,
                                    interval '1 day') g(night)
          LEFT JOIN listing_nights n ON n.listing_id = l.id AND n.night = g.night::date
          LEFT JOIN LATERAL (
                SELECT sum(r.quantity) AS overdue FROM reservations r
                 WHERE r.listing_id = l.id AND r.status = 'PENDING'
                   AND r.expires_at <= now()
                   AND r.start_date <= g.night::date AND r.end_date > g.night::date
          ) o ON true
         WHERE l.id = :listing
         GROUP BY l.units
    """)
    params = {"listing": listing_id, "start": booked.start, "end": booked.end}
    return int((await session.execute(stmt, params)).scalar_one())


async def join_waitlist(
    *, session: AsyncSession, principal: Principal, data: NewWaitlistEntry
) -> WaitlistEntryRecord:
    """Wait for a range that is full now. A range that has room is refused (INVALID_STATE:
    book it instead), and so is a second entry of the same principal for the same range
    while the first is waiting (ALREADY_EXISTS)."""
    stmt = select(
        Listing.kind, Listing.units, Listing.timezone, Listing.archived_at, Listing.max_guests
    ).where(Listing.id == data.listing_id)
    listing = (await session.execute(stmt)).one_or_none()
    if listing is None:
        raise not_found("listing", "listingId")
    if listing.archived_at is not None:
        raise archived_error()  # it would never be offered anything
    if listing.kind is not ListingKind.STAY:
        return await join_slot_waitlist(session=session, principal=principal, data=data)
    if data.start_date is None:
        raise invalid("startDate", "A STAY listing's waitlist entry names its startDate.")
    booked = requested_stay(data.start_date, data.end_date, data.nights, data.quantity)
    check_not_past(booked, listing.timezone)
    if not 1 <= data.quantity <= listing.units:
        raise invalid("quantity", f"quantity must be between 1 and {listing.units} (the units).")
    guests = checked_guests(data.adults, data.children, data.special_requests)
    check_guest_count(guests.people, listing.max_guests, data.quantity)

    await lock_and_check_not_waiting(
        session=session,
        listing_id=data.listing_id,
        user_id=principal.user_id,
        same_wait=(WaitlistEntry.start_date == booked.start)
        & (WaitlistEntry.end_date == booked.end),
        what="range",
    )
    if (
        await free_units_now(session=session, listing_id=data.listing_id, booked=booked)
        >= data.quantity
    ):
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"{data.quantity} unit(s) are free on every night from {booked.start.isoformat()} "
            f"to {booked.end.isoformat()}: book it instead.",
        )
    entry_id = new_id()
    await session.execute(
        insert(WaitlistEntry).values(
            id=entry_id,
            listing_id=data.listing_id,
            user_id=principal.user_id,
            start_date=booked.start,
            end_date=booked.end,
            quantity=data.quantity,
            adults=guests.adults,
            children=guests.children,
            special_requests=guests.special_requests,
            status=WAITING,
        )
    )
    return await entry_by_id(session=session, entry_id=entry_id)


@dataclass(frozen=True, slots=True)
class Left:
    entry: WaitlistEntryRecord
    # The entry's offer hold was cancelled: its units are free for the next in line.
    released_hold: bool


async def leave_waitlist(
    *, session: AsyncSession, principal: Principal, entry_id: uuid.UUID
) -> Left:
    """Leave one's own WAITING or OFFERED entry; an offer's unpaid hold is cancelled. Others'
    entries are NOT_FOUND. A paid offer is a booking: cancel the reservation instead."""
    stmt = select(WaitlistEntry.listing_id).where(
        WaitlistEntry.id == entry_id, WaitlistEntry.user_id == principal.user_id
    )
    listing_id = (await session.execute(stmt)).scalar_one_or_none()
    if listing_id is None:
        raise not_found("waitlist entry")
    await lock_listing(session=session, listing_id=listing_id)
    entry = await entry_by_id(session=session, entry_id=entry_id)
    status = effective_status(entry)
    released = False
    if status is OFFERED:
        if entry.reservation_id is None:
            raise RuntimeError(f"waitlist entry {entry.id} is OFFERED without its hold")
        released = await _cancel_unpaid_hold(session=session, reservation_id=entry.reservation_id)
        if not released:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                "This offer has been paid for: cancel the reservation instead.",
                "id",
            )
    elif status is not WAITING:
        raise DomainError(ErrorCode.INVALID_STATE, f"A {status.value} entry cannot be left.", "id")
    await session.execute(
        update(WaitlistEntry).where(WaitlistEntry.id == entry_id).values(status=WaitlistStatus.LEFT)
    )
    return Left(await entry_by_id(session=session, entry_id=entry_id), released_hold=released)


async def _cancel_unpaid_hold(*, session: AsyncSession, reservation_id: uuid.UUID) -> bool:
    paid = reservation_paid()
    stmt = (
        update(Reservation)
        .where(
            Reservation.id == reservation_id,
            Reservation.status == ReservationStatus.PENDING,
            ~paid,
        )
        .values(
            status=ReservationStatus.CANCELLED,
            cancelled_at=func.now(),
            cancel_reason=LEFT_REASON,
            expires_at=None,
        )
        .returning(Reservation.id)
    )
    cancelled = (await session.execute(stmt)).scalar_one_or_none()
    if cancelled is None:
        return False
    await outbox.record(
        session=session,
        event=Event.RESERVATION_CANCELLED,
        reservation_id=cancelled,
        data={"by": "waitlist", "reason": LEFT_REASON},
    )
    return True


# --- Offering freed units ---------------------------------------------------------------


async def _settle_offers(*, session: AsyncSession, listing_id: uuid.UUID) -> None:
    """OFFERED entries whose hold was taken up become BOOKED; those whose hold ended, LAPSED."""
    for hold_states, outcome in ((TAKEN_UP, WaitlistStatus.BOOKED), (ENDED, WaitlistStatus.LAPSED)):
        await session.execute(
            update(WaitlistEntry)
            .where(
                WaitlistEntry.listing_id == listing_id,
                WaitlistEntry.status == OFFERED,
                WaitlistEntry.reservation_id == Reservation.id,
                Reservation.status.in_(hold_states),
            )
            .values(status=outcome)
        )


def _listing_today() -> ColumnElement[date]:
    return func.timezone(Listing.timezone, func.now()).cast(Date)


async def _lapse_past_entries(*, session: AsyncSession, listing_id: uuid.UUID) -> None:
    """A WAITING entry whose first night has come can no longer be offered."""
    await session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.listing_id == listing_id,
            WaitlistEntry.status == WAITING,
            Listing.id == WaitlistEntry.listing_id,
            WaitlistEntry.start_date < _listing_today(),
        )
        .values(status=WaitlistStatus.LAPSED)
    )


async def _oldest_fitting(
    *, session: AsyncSession, listing_id: uuid.UUID, passed_over: Sequence[uuid.UUID]
) -> Row[*tuple[Any, ...]] | None:
    """The oldest WAITING entry with `quantity` units free on every night of its range."""
    entry = WaitlistEntry
    night = ListingNight
    full_night = exists().where(
        night.listing_id == entry.listing_id,
        night.night >= entry.start_date,
        night.night < entry.end_date,
        night.units - night.booked < entry.quantity,
    )
    stmt = (
        select(*entry.__table__.c, Listing.offer_minutes)
        .join(Listing, Listing.id == entry.listing_id)
        .where(
            entry.listing_id == listing_id,
            entry.status == WAITING,
            entry.quantity <= Listing.units,
            ~full_night,
        )
        .order_by(entry.id)
        .limit(1)
    )
    if passed_over:
        stmt = stmt.where(entry.id.not_in(passed_over))
    return (await session.execute(stmt)).one_or_none()


# Every night this offerer may touch: those of the waiting entries (the holds it places)
# and of overdue holds (which it expires). Rows are made where missing and locked in date
# order, as the inventory trigger does, before any other inventory change in this
# transaction. Its holds, taken oldest entry first and so in no date order, then only touch
# rows it has locked already: it never waits on a release or booking that waits on it.
LOCK_NIGHTS = text("""
    INSERT INTO listing_nights AS n (listing_id, night, units, booked)
    SELECT l.id, d.night, l.units, 0
      FROM (
        SELECT DISTINCT g::date AS night
          FROM (
            SELECT start_date, end_date FROM waitlist_entries
             WHERE listing_id = :listing AND status = 'WAITING'
            UNION ALL
            SELECT start_date, end_date FROM reservations
             WHERE listing_id = :listing AND status = 'PENDING' AND expires_at <= now()
          ) ranges
         CROSS JOIN generate_series(ranges.start_date, ranges.end_date - 1, interval '1 day') g
      ) d
      JOIN listings l ON l.id = :listing
     ORDER BY d.night
    ON CONFLICT (listing_id, night) DO UPDATE SET booked = n.booked
""")


async def _lock_nights(*, session: AsyncSession, listing_id: uuid.UUID) -> None:
    await session.execute(LOCK_NIGHTS, {"listing": listing_id})


class _EntryChanged(Exception):
    """The entry left WAITING while its hold was being placed: undo the hold."""


async def _offer(*, session: AsyncSession, entry: Row[*tuple[Any, ...]]) -> bool:
    """Place the entry's hold and mark it OFFERED, both or neither (one savepoint)."""
    try:
        async with session.begin_nested():
            hold = await place_hold(
                session=session,
                listing_id=entry.listing_id,
                guest_id=entry.user_id,
                booked=Stay(entry.start_date, entry.end_date),
                quantity=entry.quantity,
                hold_minutes=entry.offer_minutes,
                guests=Guests(entry.adults, entry.children, entry.special_requests),
            )
            if not await mark_offered(session=session, entry_id=entry.id, reservation_id=hold.id):
                raise _EntryChanged
    except DomainError as error:
        # UNAVAILABLE: a booking outside the waitlist took the units meanwhile.
        log.info("waitlist entry %s not offered: %s", entry.id, error.message)
        return False
    except _EntryChanged:
        return False
    return True


async def offer_freed_units(
    *, session: AsyncSession, listing_id: uuid.UUID
) -> list[WaitlistEntryRecord]:
    """Offer what is free now to the waitlist, oldest fitting entry first; the entries offered.

    Call it in a transaction of its own after one that released units has committed (never
    inside it). The capacity CHECK still decides each hold, so an offer never overbooks.
    """
    await lock_listing(session=session, listing_id=listing_id)
    kind = (
        await session.execute(select(Listing.kind).where(Listing.id == listing_id))
    ).scalar_one_or_none()
    if kind is None:
        return []
    if kind is ListingKind.STAY:
        await _lock_nights(session=session, listing_id=listing_id)
    await expire_holds(session=session, listing_id=listing_id)
    await _settle_offers(session=session, listing_id=listing_id)
    if kind is not ListingKind.STAY:
        return await offer_slot_units(session=session, listing_id=listing_id)
    await _lapse_past_entries(session=session, listing_id=listing_id)
    offered: list[uuid.UUID] = []
    passed_over: list[uuid.UUID] = []
    while (
        entry := await _oldest_fitting(
            session=session, listing_id=listing_id, passed_over=passed_over
        )
    ) is not None:
        if await _offer(session=session, entry=entry):
            offered.append(entry.id)
        else:
            passed_over.append(entry.id)
    return await entries_by_ids(session=session, ids=offered) if offered else []
