"""A listing's photos as rows: adding one whose files are stored already, alt text, order,
removal, and reading them in bulk. The files themselves are the flow's business
(flows/listing_photos.py): written before the row, removed after the row is gone."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, check_text, invalid, not_found
from bookwell.core.records import build_all
from bookwell.models import Listing, ListingPhoto
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.images import CheckedImage
from bookwell.services.listings.ownership import locked_listing
from bookwell.services.listings.records import PHOTO_COLUMNS, PhotoRecord, PhotoVariant

MAX_ALT_TEXT = 500


def checked_alt_text(alt_text: str) -> str:
    alt_text = check_text(alt_text, "altText").strip()
    if len(alt_text) > MAX_ALT_TEXT:
        raise invalid("altText", f"Alt text has at most {MAX_ALT_TEXT} characters.")
    return alt_text


def photo_folder(listing_id: uuid.UUID, photo_id: uuid.UUID) -> str:
    """The storage prefix of one photo's files."""
    return f"listings/{listing_id}/{photo_id}"


def variant_key(folder: str, name: str, extension: str) -> str:
    return f"{folder}/{name}.{extension}"


async def check_may_change(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID
) -> None:
    """NOT_FOUND or FORBIDDEN before any work is spent on an upload (no lock taken)."""
    owner = await session.scalar(select(Listing.owner_id).where(Listing.id == listing_id))
    if owner is None:
        raise not_found("listing", "listingId")
    if owner != principal.user_id and not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only the listing's host can change it.", "listingId"
        )


async def add_photo(
    *,
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    photo_id: uuid.UUID,
    image: CheckedImage,
    byte_size: int,
    alt_text: str,
    most: int,
) -> PhotoRecord:
    """The photo's row, last in the listing's order; its files are stored already."""
    await locked_listing(
        session=session, principal=principal, listing_id=listing_id, field="listingId"
    )
    count, last = (
        await session.execute(
            select(func.count(), func.coalesce(func.max(ListingPhoto.position), 0)).where(
                ListingPhoto.listing_id == listing_id
            )
        )
    ).one()
    if count >= most:
        raise invalid("listingId", f"A listing has at most {most} photos: remove one first.")
    folder = photo_folder(listing_id, photo_id)
    variants = [
        asdict(
            PhotoVariant(
                name=rendered.name,
                width=rendered.width,
                height=rendered.height,
                bytes=len(rendered.data),
                key=variant_key(folder, rendered.name, image.extension),
            )
        )
        for rendered in image.variants
    ]
    stmt = (
        insert(ListingPhoto)
        .values(
            id=photo_id,
            listing_id=listing_id,
            position=last + 1,
            alt_text=alt_text,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            byte_size=byte_size,
            storage_key=folder,
            variants=variants,
        )
        .returning(*PHOTO_COLUMNS)
    )
    return PhotoRecord(*(await session.execute(stmt)).one())


async def _locked_photo(
    *, session: AsyncSession, principal: Principal, photo_id: uuid.UUID
) -> PhotoRecord:
    """The photo, its listing locked (so order changes run one at a time); NOT_FOUND for
    no such photo or someone else's."""
    listing_id = await session.scalar(
        select(ListingPhoto.listing_id).where(ListingPhoto.id == photo_id)
    )
    if listing_id is None:
        raise not_found("photo")
    try:
        await locked_listing(session=session, principal=principal, listing_id=listing_id)
    except DomainError:
        raise not_found("photo") from None
    row = (
        await session.execute(select(*PHOTO_COLUMNS).where(ListingPhoto.id == photo_id))
    ).one_or_none()
    if row is None:
        raise not_found("photo")  # removed meanwhile
    return PhotoRecord(*row)


async def set_alt_text(
    *, session: AsyncSession, principal: Principal, photo_id: uuid.UUID, alt_text: str
) -> PhotoRecord:
    alt_text = checked_alt_text(alt_text)
    await _locked_photo(session=session, principal=principal, photo_id=photo_id)
    stmt = (
        update(ListingPhoto)
        .where(ListingPhoto.id == photo_id)
        .values(alt_text=alt_text)
        .returning(*PHOTO_COLUMNS)
    )
    return PhotoRecord(*(await session.execute(stmt)).one())


async def remove_photo(
    *, session: AsyncSession, principal: Principal, photo_id: uuid.UUID
) -> PhotoRecord:
    """Delete the row; the caller removes its files once that is committed."""
    photo = await _locked_photo(session=session, principal=principal, photo_id=photo_id)
    await session.execute(delete(ListingPhoto).where(ListingPhoto.id == photo_id))
    return photo


async def reorder_photos(
    *,
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    photo_ids: Sequence[uuid.UUID],
) -> None:
    """Put the listing's photos in the order given: every one of them, each once."""
    await locked_listing(
        session=session, principal=principal, listing_id=listing_id, field="listingId"
    )
    current = set(
        (
            await session.scalars(
                select(ListingPhoto.id).where(ListingPhoto.listing_id == listing_id)
            )
        ).all()
    )
    if len(set(photo_ids)) != len(photo_ids) or set(photo_ids) != current:
        raise invalid(
            "photoIds", "Give every photo of the listing exactly once, in the order wanted."
        )
    if not photo_ids:
        return
    order = {photo_id: position for position, photo_id in enumerate(photo_ids, 1)}
    await session.execute(
        update(ListingPhoto)
        .where(ListingPhoto.listing_id == listing_id)
        .values(position=case(order, value=ListingPhoto.id))
    )


async def photos_of_listings(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PhotoRecord]]:
    """Each listing's photos, in their order."""
    stmt = (
        select(*PHOTO_COLUMNS)
        .where(ListingPhoto.listing_id.in_(listing_ids))
        .order_by(ListingPhoto.listing_id, ListingPhoto.position, ListingPhoto.id)
    )
    found: dict[uuid.UUID, list[PhotoRecord]] = defaultdict(list)
    for photo in build_all(PhotoRecord, await session.execute(stmt)):
        found[photo.listing_id].append(photo)
    return found


async def photos_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[PhotoRecord]:
    """Photos are public, as Listing.photos shows them."""
    stmt = select(*PHOTO_COLUMNS).where(ListingPhoto.id.in_(ids))
    return build_all(PhotoRecord, await session.execute(stmt))
