"""Free start times of slot listings on a day: for one listing, or for a page of listings
matching a filter. Reads only; three queries whatever the number of listings."""

import functools
import uuid
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import Select, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, invalid
from bookwell.core.pagination import Page, PageRequest, PageShape, page_of
from bookwell.core.records import build_all
from bookwell.core.zones import zone_info
from bookwell.models import (
    Listing,
    ListingKind,
    ListingUnit,
    Reservation,
    ReservationStatus,
    ReservationUnit,
)
from bookwell.services.listings.booking_rules import check
from bookwell.services.listings.booking_rules_store import booking_rules_of_listings
from bookwell.services.listings.listings import (
    ListingFilter,
    Shape,
    filter_conditions,
    filter_params,
    page_params,
    paged,
)
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord
from bookwell.services.slots.buffers import Buffers
from bookwell.services.slots.rules import check_party, default_minutes, hours_of
from bookwell.services.slots.times import MAX_DAYS_AHEAD, Slot, day_slots


@dataclass(frozen=True, slots=True)
class SlotQuestion:
    day: date  # in each listing's own timezone
    party_size: int | None = None
    quantity: int = 1
    # Length wanted; None: a restaurant's sitting, else one slot.
    minutes: int | None = None


@dataclass(frozen=True, slots=True)
class FreeSlot:
    starts_at: datetime  # aware, in the listing's timezone
    ends_at: datetime
    # Units (for a party: tables that seat it) free for the whole slot.
    free_units: int


Interval = tuple[datetime, datetime]


def check_question(question: SlotQuestion) -> None:
    if question.party_size is not None and question.party_size < 1:
        raise invalid("partySize", "partySize must be at least 1.")
    if question.quantity < 1:
        raise invalid("quantity", "quantity must be at least 1.")
    if question.minutes is not None and not 1 <= question.minutes <= 1440:
        raise invalid("minutes", "minutes must be between 1 and 1440.")


def _length(listing: ListingRecord, question: SlotQuestion) -> int:
    if question.minutes is None:
        return default_minutes(listing)
    if question.minutes % listing.slot_minutes:
        raise invalid("minutes", f"minutes must be a multiple of {listing.slot_minutes} (a slot).")
    return question.minutes


def _grid(
    listing: ListingRecord, question: SlotQuestion, largest: int, now: datetime
) -> list[Slot]:
    """The day's slots this question could take at this listing, not yet checked for room
    (DomainError when the question does not fit the listing at all). `largest`: the most
    seats of any of its tables."""
    if listing.kind is ListingKind.STAY:
        raise invalid("listingId", "A STAY listing books nights: use searchAvailability.")
    check_party(listing, question.party_size or 1, question.quantity, largest)
    zone = zone_info(listing.timezone)
    length = _length(listing, question)
    latest = now + timedelta(days=MAX_DAYS_AHEAD)
    # Days further out have no slot in [now, latest] in any zone; around years 1 and 9999
    # their wall-clock times may not even have a UTC instant.
    margin = timedelta(days=2)
    if not now.date() - margin <= question.day <= latest.date() + margin:
        return []
    slots = day_slots(question.day, zone, hours_of(listing), listing.slot_minutes, length)
    return [slot for slot in slots if now <= slot.starts_at <= latest]


@dataclass(frozen=True, slots=True)
class _UnitCounts:
    """A listing's units, counted in SQL (a listing may have 10,000: none is read)."""

    largest: int  # the most seats of a table
    fitting: int  # units that take the party (every unit but a restaurant's too-small tables)


async def _unit_counts(
    *, session: AsyncSession, listings: Sequence[ListingRecord], party: int
) -> dict[uuid.UUID, _UnitCounts]:
    seats = func.coalesce(ListingUnit.seats, 0)
    stmt = (
        select(
            ListingUnit.listing_id,
            func.max(seats),
            func.count(),
            func.count().filter(seats >= party),
        )
        .where(ListingUnit.listing_id.in_([row.id for row in listings]))
        .group_by(ListingUnit.listing_id)
    )
    restaurants = {row.id for row in listings if row.kind is ListingKind.RESTAURANT}
    return {
        listing_id: _UnitCounts(largest, seating if listing_id in restaurants else every)
        for listing_id, largest, every, seating in await session.execute(stmt)
        if listing_id is not None  # always: read by listing, never a removed unit
    }


async def _busy(
    *,
    session: AsyncSession,
    listings: Sequence[ListingRecord],
    span: Interval,
    party: int,
) -> dict[uuid.UUID, dict[uuid.UUID, list[Interval]]]:
    """Per listing, the ranges each of its units (that take the party) is held for within
    `span`, widened by the holder's buffers and then by the listing's own
    (services/slots/buffers.py), so that a bare slot overlapping one collides; overdue holds
    no longer count."""
    live = or_(
        Reservation.status != ReservationStatus.PENDING,
        Reservation.expires_at.is_(None),
        Reservation.expires_at > func.now(),
    )
    restaurants = [row.id for row in listings if row.kind is ListingKind.RESTAURANT]
    fits = or_(
        ReservationUnit.listing_id.not_in(restaurants) if restaurants else true(),
        func.coalesce(ListingUnit.seats, 0) >= party,
    )
    stmt = (
        select(
            ReservationUnit.listing_id,
            ReservationUnit.unit_id,
            func.lower(ReservationUnit.occupied).label("lo"),
            func.upper(ReservationUnit.occupied).label("hi"),
        )
        .join(Reservation, Reservation.id == ReservationUnit.reservation_id)
        .join(ListingUnit, ListingUnit.id == ReservationUnit.unit_id)
        .where(
            ReservationUnit.listing_id.in_([row.id for row in listings]),
            ReservationUnit.holding,
            ReservationUnit.occupied.overlaps(func.tstzrange(*_widened(listings, span), "[)")),
            live,
            fits,
        )
        .order_by(ReservationUnit.unit_id, "lo")
    )
    buffers = {row.id: Buffers.of(row) for row in listings}
    busy: dict[uuid.UUID, dict[uuid.UUID, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    for row in await session.execute(stmt):
        widened = buffers[row.listing_id].widen(row.lo, row.hi)
        busy[row.listing_id][row.unit_id].append(widened)
    return busy


def _widened(listings: Sequence[ListingRecord], span: Interval) -> Interval:
    """`span` with room for the largest buffers among the listings."""
    before = max(row.buffer_before_minutes for row in listings)
    after = max(row.buffer_after_minutes for row in listings)
    return span[0] - timedelta(minutes=before), span[1] + timedelta(minutes=after)


def _taken_per_slot(slots: Sequence[Slot], held: dict[uuid.UUID, list[Interval]]) -> list[int]:
    """How many of the held units are taken during each slot (slots in order, all of one
    length). Each unit's ranges (sorted) become the run of slots they overlap, counted once
    per unit through a difference array: O(ranges x log slots + slots), not slots x units."""
    starts = [slot.starts_at for slot in slots]
    ends = [slot.ends_at for slot in slots]
    if any(later < earlier for earlier, later in pairwise(ends)):  # clocks changed oddly
        return [
            sum(
                any(lo < slot.ends_at and slot.starts_at < hi for lo, hi in r)
                for r in held.values()
            )
            for slot in slots
        ]
    change = [0] * (len(slots) + 1)
    for ranges in held.values():
        covered_to = 0  # slots before this index are counted for this unit already
        for lo, hi in ranges:
            first = max(bisect_right(ends, lo), covered_to)  # the first slot ending after lo
            stop = bisect_left(starts, hi)  # slots from here on start at or after hi
            if first < stop:
                change[first] += 1
                change[stop] -= 1
                covered_to = stop
    taken, running = [], 0
    for step in change[:-1]:
        running += step
        taken.append(running)
    return taken


async def free_slots(
    *,
    session: AsyncSession,
    listings: Sequence[ListingRecord],
    question: SlotQuestion,
    strict: bool = False,
    now: datetime | None = None,
) -> dict[uuid.UUID, list[FreeSlot]]:
    """Each listing's free start times on the day, earliest first.

    `strict`: a question that does not fit a listing (a party larger than any table, a
    length off its grid) raises; otherwise that listing simply has no free slot.
    """
    check_question(question)
    now = now or datetime.now(UTC)
    party = question.party_size or 1
    counts = await _unit_counts(session=session, listings=listings, party=party)
    grids: dict[uuid.UUID, list[Slot]] = {}
    for listing in listings:
        largest = counts[listing.id].largest if listing.id in counts else 0
        try:
            grids[listing.id] = _grid(listing, question, largest, now)
        except DomainError:
            if strict:
                raise
            grids[listing.id] = []
    rules = await booking_rules_of_listings(
        session=session, listing_ids=[listing.id for listing in listings if grids[listing.id]]
    )
    for listing in listings:  # only what the host's booking rules allow
        if listing.id in rules:
            grids[listing.id] = [
                slot
                for slot in grids[listing.id]
                if check(rules[listing.id], slot.starts_at, slot.ends_at, now, listing.timezone)
                is None
            ]
    every = [slot for slots in grids.values() for slot in slots]
    busy = (
        await _busy(
            session=session,
            listings=[listing for listing in listings if grids[listing.id]],
            span=(min(s.starts_at for s in every), max(s.ends_at for s in every)),
            party=party,
        )
        if every
        else {}
    )
    answer: dict[uuid.UUID, list[FreeSlot]] = {}
    for listing in listings:
        zone = zone_info(listing.timezone)
        slots = grids[listing.id]
        fitting = counts[listing.id].fitting if listing.id in counts else 0
        held = busy.get(listing.id, {})
        taken = _taken_per_slot(slots, held) if held else [0] * len(slots)
        answer[listing.id] = [
            FreeSlot(slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone), free)
            for slot, used in zip(slots, taken, strict=True)
            if (free := fitting - used) >= question.quantity
        ]
    return answer


def _slot_listings(shape: Shape) -> list[Any]:
    return [*filter_conditions(shape), Listing.kind != ListingKind.STAY]


@functools.cache
def _search_statement(shape: Shape, page: PageShape) -> Select[*tuple[Any, ...]]:
    return paged(select(*LISTING_COLUMNS).where(*_slot_listings(shape)), page)


@functools.cache
def _count_statement(shape: Shape) -> Select[int]:
    return select(func.count()).select_from(Listing).where(*_slot_listings(shape))


async def slot_listings(
    *, session: AsyncSession, filter: ListingFilter | None, page: PageRequest
) -> Page[ListingRecord]:
    """Slot listings (not stays) matching the filter, in creation order."""
    shape, params = filter_params(filter)
    stmt = _search_statement(shape, page.shape)
    rows = await session.execute(stmt, params | page_params(page))
    return page_of(build_all(ListingRecord, rows), page)


async def count_slot_listings(*, session: AsyncSession, filter: ListingFilter | None) -> int:
    shape, params = filter_params(filter)
    return (await session.execute(_count_statement(shape), params)).scalar_one()
