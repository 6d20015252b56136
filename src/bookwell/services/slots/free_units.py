"""Which tables (rooms, items) of a slot listing are free for one window: what a client
offers to choose from before booking one by id (bookSlot's unitId). Reads only."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import invalid, not_found
from bookwell.core.records import build_all
from bookwell.core.zones import zone_info
from bookwell.models import Listing, ListingKind, ListingUnit
from bookwell.services.listings.records import UNIT_COLUMNS, UnitRecord
from bookwell.services.slots.buffers import Buffers
from bookwell.services.slots.rules import check_party_size, default_minutes, hours_of
from bookwell.services.slots.taking import busy_units
from bookwell.services.slots.times import check_bookable_now, requested_slot


async def free_units(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime | None = None,
    party_size: int | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> list[UnitRecord]:
    """The listing's units nobody holds for any part of [starts_at, ends_at) with the
    listing's buffers around it (a restaurant's: those that seat the party, smallest first),
    in the order bookings are given them, at most `limit`; overdue unpaid holds do not
    count."""
    check_party_size(party_size)
    listing = (
        await session.execute(select(*Listing.__table__.c).where(Listing.id == listing_id))
    ).one_or_none()
    if listing is None:
        raise not_found("listing", "listingId")
    if listing.kind is ListingKind.STAY:
        raise invalid("listingId", "A STAY listing books nights: use searchAvailability.")
    slot = requested_slot(
        starts_at=starts_at,
        ends_at=ends_at,
        zone=zone_info(listing.timezone),
        hours=hours_of(listing),
        step_minutes=listing.slot_minutes,
        default_minutes=default_minutes(listing),
    )
    check_bookable_now(slot, now or datetime.now(UTC))
    stmt = select(*UNIT_COLUMNS).where(
        ListingUnit.listing_id == listing_id,
        ListingUnit.id.not_in(busy_units(listing_id, slot, buffers=Buffers.of(listing), live=True)),
    )
    if listing.kind is ListingKind.RESTAURANT:
        stmt = stmt.where(func.coalesce(ListingUnit.seats, 0) >= (party_size or 1)).order_by(
            ListingUnit.seats, ListingUnit.position
        )
    else:
        stmt = stmt.order_by(ListingUnit.position)
    return build_all(UnitRecord, await session.execute(stmt.limit(limit)))
