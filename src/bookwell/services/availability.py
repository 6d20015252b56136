"""Free units per listing over a range of nights, and the search for listings with room."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, and_, cast, exists, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Listing, ListingNight
from bookwell.services.errors import invalid
from bookwell.services.listings import LISTING_COLUMNS, ListingFilter, filter_conditions, paged
from bookwell.services.pagination import Page, PageRequest, page_of
from bookwell.services.stays import Stay, today_in


@dataclass(frozen=True, slots=True)
class Availability:
    listing_id: uuid.UUID
    start_date: date
    end_date: date
    quantity: int
    free_units: int
    # False also when the range starts before today in the listing's timezone.
    available: bool


def check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise invalid("quantity", "quantity must be at least 1.")


async def free_units(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID], stay: Stay
) -> dict[uuid.UUID, tuple[int, str]]:
    """For each existing listing: (fewest units free on any night of the stay, its timezone)."""
    night = ListingNight
    stmt = (
        select(
            Listing.id,
            Listing.timezone,
            func.least(Listing.units, func.min(night.units - night.booked)).label("free"),
        )
        .select_from(Listing)
        .outerjoin(
            night,
            and_(
                night.listing_id == Listing.id,
                night.night >= stay.start,
                night.night < stay.end,
            ),
        )
        .where(Listing.id.in_(listing_ids))
        .group_by(Listing.id)
    )
    return {row.id: (row.free, row.timezone) for row in await session.execute(stmt)}


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


def _has_room(stay: Stay, quantity: int):
    night = ListingNight
    full_night = exists().where(
        night.listing_id == Listing.id,
        night.night >= stay.start,
        night.night < stay.end,
        night.units - night.booked < quantity,
    )
    # "Today" differs per listing: a stay may not start before today where the listing is.
    today_there = cast(func.timezone(Listing.timezone, func.now()), Date)
    return and_(Listing.units >= quantity, today_there <= stay.start, ~full_night)


async def search(
    *,
    session: AsyncSession,
    stay: Stay,
    quantity: int,
    filter: ListingFilter | None,
    page: PageRequest,
) -> Page[Row]:
    check_quantity(quantity)
    conditions = [*filter_conditions(filter), _has_room(stay, quantity)]
    stmt = paged(select(*LISTING_COLUMNS).where(*conditions), page)
    return page_of((await session.execute(stmt)).all(), page)


async def count_search(
    *, session: AsyncSession, stay: Stay, quantity: int, filter: ListingFilter | None
) -> int:
    conditions = [*filter_conditions(filter), _has_room(stay, quantity)]
    stmt = select(func.count()).select_from(Listing).where(*conditions)
    return (await session.execute(stmt)).scalar_one()
