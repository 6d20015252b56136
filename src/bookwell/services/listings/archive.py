"""Taking a listing off the market: archiving (out of every search, no new bookings,
quotes, waitlist offers or moves of dates; its bookings carry on and stay manageable) and
deleting one that was never booked.

A booking is never lost to a deletion: reservations reference their listing without
ON DELETE CASCADE, so PostgreSQL refuses to delete a listing that has any, even one placed
between the check here and the DELETE."""

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import Listing, ListingPhoto, Reservation
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.ownership import locked_listing
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord


async def set_archived(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, archived: bool
) -> ListingRecord:
    """Archive or unarchive; archiving an archived listing keeps when it was first archived."""
    listing = await locked_listing(session=session, principal=principal, listing_id=listing_id)
    if archived == (listing.archived_at is not None):
        return listing
    stmt = (
        update(Listing)
        .where(Listing.id == listing_id)
        .values(archived_at=func.now() if archived else None)
        .returning(*LISTING_COLUMNS)
    )
    return ListingRecord(*(await session.execute(stmt)).one())


@dataclass(frozen=True, slots=True)
class Deleted:
    listing_id: uuid.UUID
    # Photo files to remove from the storage once the deletion is committed.
    photo_keys: list[str]


def _has_bookings() -> DomainError:
    return DomainError(
        ErrorCode.HAS_BOOKINGS,
        "This listing has bookings (past, current or cancelled ones, or calendar blocks): "
        "archive it instead, so they keep their listing.",
        "id",
    )


async def delete_listing(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID
) -> Deleted:
    await locked_listing(session=session, principal=principal, listing_id=listing_id)
    if await session.scalar(select(exists().where(Reservation.listing_id == listing_id))):
        raise _has_bookings()
    keys = select(ListingPhoto.storage_key).where(ListingPhoto.listing_id == listing_id)
    photo_keys = list((await session.scalars(keys)).all())
    try:
        async with session.begin_nested():
            await session.execute(delete(Listing).where(Listing.id == listing_id))
    except IntegrityError:  # a reservation arrived after all (the foreign key refused)
        raise _has_bookings() from None
    return Deleted(listing_id, photo_keys)
