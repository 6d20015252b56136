"""Free units per listing over a range of nights, and the search for listings with room."""

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    cast,
    column,
    exists,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.pagination import Page, PageRequest, PageShape, page_of
from bookwell.core.records import build_all
from bookwell.core.statements import one_of
from bookwell.models import Listing, ListingNight
from bookwell.services.listings.booking_rules_store import stay_allowed
from bookwell.services.listings.listings import (
    ListingFilter,
    Shape,
    filter_conditions,
    filter_params,
    page_params,
    paged,
)
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord
from bookwell.services.listings.stays import Stay, check_quantity, today_in


@dataclass(frozen=True, slots=True)
class Availability:
    listing_id: uuid.UUID
    start_date: date
    end_date: date
    quantity: int
    free_units: int
    # False also when the range starts before today in the listing's timezone.
    available: bool


# migrations 0030: the function keeps one generic plan per session instead of planning the
# join over listing_nights' partitions on every run.
_FREE_UNITS_ROWS = (
    func.bookwell_free_units(
        bindparam("ids", type_=ARRAY(Uuid())),
        bindparam("start", type_=Date),
        bindparam("end", type_=Date),
    )
    .table_valued(column("id", Uuid()), column("timezone", String()), column("free", Integer()))
    .alias("free_units")
)
FREE_UNITS = select(_FREE_UNITS_ROWS.c.id, _FREE_UNITS_ROWS.c.timezone, _FREE_UNITS_ROWS.c.free)


async def free_units(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID], stay: Stay
) -> dict[uuid.UUID, tuple[int, str]]:
    """For each existing listing: (fewest units free on any night of the stay, its timezone)."""
    parameters = {"ids": list(listing_ids), "start": stay.start, "end": stay.end}
    found = await session.execute(FREE_UNITS, parameters)
    return {row.id: (row.free, row.timezone) for row in found}


async def availability(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID], stay: Stay, quantity: int
) -> dict[uuid.UUID, Availability]:
    found = await free_units(session=session, listing_ids=listing_ids, stay=stay)
    return {
        listing_id: Availability(
            listing_id=listing_id,
            start_date=stay.start,
            end_date=stay.end,
            quantity=quantity,
            free_units=free,
            available=free >= quantity and stay.start >= today_in(timezone),
        )
        for listing_id, (free, timezone) in found.items()
    }


@dataclass(frozen=True, slots=True)
class NightFree:
    night: date
    free_units: int


def _nightly_free_statement() -> Select[*tuple[Any, ...]]:
    # Nights are counted from the start as integers: a date series would be sent its bounds,
    # and asyncpg sends date.min as -infinity, a series that never ends (0001-01-01 held a
    # connection for the whole statement timeout). -infinity plus n matches no night row.
    offsets = (
        func.generate_series(0, bindparam("nights", type_=Integer) - 1)
        .table_valued("offset")
        .render_derived()
    )
    night = bindparam("start", type_=Date) + offsets.c.offset
    taken = ListingNight.units - ListingNight.booked
    return (
        select(
            Listing.id,
            offsets.c.offset.label("offset"),
            func.least(Listing.units, func.coalesce(taken, Listing.units)).label("free"),
        )
        .select_from(Listing)
        .join(offsets, true())
        .outerjoin(
            ListingNight, and_(ListingNight.listing_id == Listing.id, ListingNight.night == night)
        )
        .where(one_of(Listing.id, "ids"))
        .order_by(Listing.id, offsets.c.offset)
    )


NIGHTLY_FREE = _nightly_free_statement()


async def free_units_by_night(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID], stay: Stay
) -> dict[uuid.UUID, list[NightFree]]:
    """For each existing listing: the units free on each night of the stay, in date order
    (FREE_UNITS' answer is the fewest of them)."""
    nights = (stay.end - stay.start).days
    parameters = {"ids": list(listing_ids), "start": stay.start, "nights": nights}
    found: dict[uuid.UUID, list[NightFree]] = {}
    for row in await session.execute(NIGHTLY_FREE, parameters):
        night = stay.start + timedelta(days=row.offset)
        found.setdefault(row.id, []).append(NightFree(night, row.free))
    return found


def has_room() -> ColumnElement[bool]:
    night = ListingNight
    full_night = exists().where(
        night.listing_id == Listing.id,
        night.night >= bindparam("start"),
        night.night < bindparam("end"),
        night.units - night.booked < bindparam("quantity"),
    )
    # "Today" differs per listing: a stay may not start before today where the listing is.
    today_there = cast(func.timezone(Listing.timezone, func.now()), Date)
    # Not a CASE putting the nights first: it makes the nights a probe per listing, where a
    # search of every listing takes them as one anti-join (77 ms instead of 0.6 a search).
    return and_(
        Listing.units >= bindparam("quantity"),
        today_there <= bindparam("start"),
        ~full_night,
        stay_allowed(),  # and the host's booking rules allow the stay (booking_rules.py)
    )


@functools.cache
def _search_statement(shape: Shape, page: PageShape) -> Select[*tuple[Any, ...]]:
    return paged(select(*LISTING_COLUMNS).where(*filter_conditions(shape), has_room()), page)


@functools.cache
def _count_statement(shape: Shape) -> Select[int]:
    conditions = [*filter_conditions(shape), has_room()]
    return select(func.count()).select_from(Listing).where(*conditions)


def room_params(stay: Stay, quantity: int) -> dict[str, Any]:
    check_quantity(quantity)
    return {"start": stay.start, "end": stay.end, "quantity": quantity}


async def search(
    *,
    session: AsyncSession,
    stay: Stay,
    quantity: int,
    filter: ListingFilter | None,
    page: PageRequest,
) -> Page[ListingRecord]:
    room = room_params(stay, quantity)
    shape, params = filter_params(filter)
    stmt = _search_statement(shape, page.shape)
    rows = await session.execute(stmt, params | room | page_params(page))
    return page_of(build_all(ListingRecord, rows), page)


async def count_search(
    *, session: AsyncSession, stay: Stay, quantity: int, filter: ListingFilter | None
) -> int:
    room = room_params(stay, quantity)
    shape, params = filter_params(filter)
    return (await session.execute(_count_statement(shape), params | room)).scalar_one()
