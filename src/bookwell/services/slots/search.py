"""Free start times of slot listings on a day: for one listing, or for a page of listings
matching a filter. Reads only; three queries whatever the number of listings."""

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, invalid
from bookwell.core.pagination import Page, PageRequest, PageShape, page_of
from bookwell.core.records import build_all
from bookwell.models import Listing, ListingKind, Reservation, ReservationStatus, ReservationUnit
from bookwell.services.listings.listings import (
    ListingFilter,
    Shape,
    filter_conditions,
    filter_params,
    page_params,
    paged,
)
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord, UnitRecord
from bookwell.services.listings.units import units_of_listings
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
    listing: ListingRecord, question: SlotQuestion, units: list[UnitRecord], now: datetime
) -> list[Slot]:
    """The day's slots this question could take at this listing, not yet checked for room
    (DomainError when the question does not fit the listing at all)."""
    if listing.kind is ListingKind.STAY:
        raise invalid("listingId", "A STAY listing books nights: use searchAvailability.")
    largest = max((unit.seats or 0 for unit in units), default=0)
    check_party(listing, question.party_size or 1, question.quantity, largest)
    zone = ZoneInfo(listing.timezone)
    length = _length(listing, question)
    latest = now + timedelta(days=MAX_DAYS_AHEAD)
    # Days further out have no slot in [now, latest] in any zone; around years 1 and 9999
    # their wall-clock times may not even have a UTC instant.
    margin = timedelta(days=2)
    if not now.date() - margin <= question.day <= latest.date() + margin:
        return []
    slots = day_slots(question.day, zone, hours_of(listing), listing.slot_minutes, length)
    return [slot for slot in slots if now <= slot.starts_at <= latest]


async def _busy(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID], span: Interval
) -> dict[uuid.UUID, list[Interval]]:
    """Ranges each unit is held for within `span`; overdue holds no longer count."""
    live = or_(
        Reservation.status != ReservationStatus.PENDING,
        Reservation.expires_at.is_(None),
        Reservation.expires_at > func.now(),
    )
    stmt = (
        select(
            ReservationUnit.unit_id,
            func.lower(ReservationUnit.during).label("lo"),
            func.upper(ReservationUnit.during).label("hi"),
        )
        .join(Reservation, Reservation.id == ReservationUnit.reservation_id)
        .where(
            ReservationUnit.listing_id.in_(listing_ids),
            ReservationUnit.holding,
            ReservationUnit.during.overlaps(func.tstzrange(span[0], span[1], "[)")),
            live,
        )
    )
    busy: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    for row in await session.execute(stmt):
        busy[row.unit_id].append((row.lo, row.hi))
    return busy


def _fitting(
    listing: ListingRecord, question: SlotQuestion, units: list[UnitRecord]
) -> list[UnitRecord]:
    if listing.kind is ListingKind.RESTAURANT:
        return [unit for unit in units if (unit.seats or 0) >= (question.party_size or 1)]
    return units


def _free_count(slot: Slot, units: list[UnitRecord], busy: dict[uuid.UUID, list[Interval]]) -> int:
    return sum(
        1
        for unit in units
        if not any(lo < slot.ends_at and slot.starts_at < hi for lo, hi in busy.get(unit.id, ()))
    )


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
    units = await units_of_listings(session=session, listing_ids=[row.id for row in listings])
    grids: dict[uuid.UUID, list[Slot]] = {}
    for listing in listings:
        try:
            grids[listing.id] = _grid(listing, question, units[listing.id], now)
        except DomainError:
            if strict:
                raise
            grids[listing.id] = []
    every = [slot for slots in grids.values() for slot in slots]
    busy = (
        await _busy(
            session=session,
            listing_ids=[listing_id for listing_id, slots in grids.items() if slots],
            span=(min(s.starts_at for s in every), max(s.ends_at for s in every)),
        )
        if every
        else {}
    )
    answer: dict[uuid.UUID, list[FreeSlot]] = {}
    for listing in listings:
        zone = ZoneInfo(listing.timezone)
        fitting = _fitting(listing, question, units[listing.id])
        # Units never held that day are free in every slot: count them once.
        idle = sum(1 for unit in fitting if unit.id not in busy)
        held = [unit for unit in fitting if unit.id in busy]
        answer[listing.id] = [
            FreeSlot(slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone), free)
            for slot in grids[listing.id]
            if (free := idle + _free_count(slot, held, busy)) >= question.quantity
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
