"""Listing photo flows: upload (check the image, store its sizes, then write the row),
alt text, order and removal.

Nothing is half-written: an upload that fails its checks stores nothing; one whose row
cannot be written (not the host's, too many photos) has its files removed again; a removed
photo's files go only after its row is gone for good."""

import asyncio
import contextlib
import uuid
from collections.abc import Sequence

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.core.storage import PhotoStorage
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings import photos
from bookwell.services.listings.images import check_image
from bookwell.services.listings.records import PhotoRecord


async def upload_photo(
    db: Database,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    data: bytes,
    alt_text: str,
    settings: Settings,
    storage: PhotoStorage,
) -> PhotoRecord:
    alt_text = photos.checked_alt_text(alt_text)
    async with db.read() as session:
        await photos.check_may_change(session=session, principal=principal, listing_id=listing_id)
    image = await asyncio.to_thread(check_image, data, max_pixels=settings.photo_max_pixels)
    photo_id = new_id()
    folder = photos.photo_folder(listing_id, photo_id)
    try:
        for rendered in image.variants:
            key = photos.variant_key(folder, rendered.name, image.extension)
            await storage.put(key, rendered.data)
        return await in_one_transaction(
            db,
            lambda session: photos.add_photo(
                session=session,
                principal=principal,
                listing_id=listing_id,
                photo_id=photo_id,
                image=image,
                byte_size=len(data),
                alt_text=alt_text,
                most=settings.photos_per_listing,
            ),
        )
    except BaseException:
        with contextlib.suppress(OSError):
            await asyncio.shield(storage.delete_prefix(folder))
        raise


async def set_alt_text(
    db: Database, *, principal: Principal, photo_id: uuid.UUID, alt_text: str
) -> PhotoRecord:
    return await in_one_transaction(
        db,
        lambda session: photos.set_alt_text(
            session=session, principal=principal, photo_id=photo_id, alt_text=alt_text
        ),
    )


async def reorder(
    db: Database, *, principal: Principal, listing_id: uuid.UUID, photo_ids: Sequence[uuid.UUID]
) -> None:
    await in_one_transaction(
        db,
        lambda session: photos.reorder_photos(
            session=session, principal=principal, listing_id=listing_id, photo_ids=photo_ids
        ),
    )


async def remove(
    db: Database, *, principal: Principal, photo_id: uuid.UUID, storage: PhotoStorage
) -> PhotoRecord:
    removed = await in_one_transaction(
        db,
        lambda session: photos.remove_photo(
            session=session, principal=principal, photo_id=photo_id
        ),
    )
    with contextlib.suppress(OSError):
        await storage.delete_prefix(removed.storage_key)
    return removed
