"""Listing photos: the types, Listing.photos, and the host's mutations (upload through the
GraphQL multipart request specification, alt text, order, removal)."""

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, not_found
from bookwell.core.ids import global_id
from bookwell.core.storage import photo_storage
from bookwell.flows import listing_photos as photo_flows
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import errors_as_data, parse_id, parse_uuid, require_principal
from bookwell.graphql.shared.errors import ARGUMENTS, UserError, user_errors
from bookwell.graphql.shared.node import Node
from bookwell.services.listings.records import PhotoRecord


@strawberry.type(description="One stored size of a photo, served over plain HTTP.")
class PhotoSize:
    name: str = strawberry.field(
        description='"thumbnail" (fits 320x320 pixels) or "large" (fits 1600x1600); never '
        "larger than the upload."
    )
    width: int = strawberry.field(description="In pixels.")
    height: int = strawberry.field(description="In pixels.")
    bytes: int = strawberry.field(description="The file's size.")
    url: str = strawberry.field(
        description="Where to GET it (cacheable for ever: a changed photo is a new one)."
    )


@strawberry.type(
    description="A photo of a listing, re-encoded from the host's upload in the same format "
    "(its EXIF metadata, such as a GPS position, is not kept)."
)
class ListingPhoto(Node):
    database_id: uuid.UUID = strawberry.field(description="The photo's UUIDv7 as stored.")
    position: int = strawberry.field(
        description="Its place in the listing's order (smallest first); reorderListingPhotos "
        "sets it."
    )
    alt_text: str = strawberry.field(
        description="What it shows, for screen readers and when it cannot load; may be empty."
    )
    content_type: str = strawberry.field(
        description="image/jpeg, image/png or image/webp: the format of every size."
    )
    width: int = strawberry.field(description="The upload's width in pixels, turned upright.")
    height: int = strawberry.field(description="The upload's height in pixels, turned upright.")
    byte_size: int = strawberry.field(description="The upload's size in bytes.")
    sizes: list[PhotoSize] = strawberry.field(description="Its stored sizes, smallest first.")
    url: str = strawberry.field(description="The large size's URL.")
    thumbnail_url: str = strawberry.field(description="The thumbnail's URL.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")

    @classmethod
    def from_row(cls, row: PhotoRecord, base_url: str) -> "ListingPhoto":
        sizes = [
            PhotoSize(
                name=size.name,
                width=size.width,
                height=size.height,
                bytes=size.bytes,
                url=f"{base_url.rstrip('/')}/photos/{size.key}",
            )
            for size in row.sizes()
        ]
        by_name = {size.name: size.url for size in sizes}
        return cls(
            id=global_id("ListingPhoto", row.id),
            database_id=row.id,
            position=row.position,
            alt_text=row.alt_text,
            content_type=row.content_type,
            width=row.width,
            height=row.height,
            byte_size=row.byte_size,
            sizes=sizes,
            url=by_name.get("large", sizes[-1].url),
            thumbnail_url=by_name.get("thumbnail", sizes[0].url),
            created_at=row.created_at,
        )


@strawberry.type(description="What a mutation of one photo answers: the photo, or why not.")
class ListingPhotoPayload:
    photo: ListingPhoto | None = strawberry.field(
        default=None, description="The photo after the change; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (the mutation's description lists the codes); empty "
        "on success.",
    )


def _photo(info: Info, row: PhotoRecord | None) -> ListingPhoto | None:
    return ListingPhoto.from_row(row, info.context.settings.public_url) if row else None


async def photos_of(info: Info, listing_id: uuid.UUID) -> list[ListingPhoto]:
    rows = await info.context.loaders.listing_photos.load(listing_id)
    base_url = info.context.settings.public_url
    return [ListingPhoto.from_row(row, base_url) for row in rows]


async def _read_upload(file: Upload, most: int) -> bytes:
    """The upload's bytes, read no further than one byte past the limit."""
    if not isinstance(file, UploadFile):  # a value in JSON where the multipart map puts a file
        raise DomainError(
            ErrorCode.INVALID_IMAGE,
            "Send the file in a multipart request (the GraphQL multipart request "
            "specification), not as a value.",
            "file",
        )
    data: bytes = await file.read(most + 1)
    if len(data) > most:
        raise DomainError(ErrorCode.IMAGE_TOO_LARGE, f"A photo has at most {most} bytes.", "file")
    if not data:
        raise DomainError(ErrorCode.INVALID_IMAGE, "The file is empty.", "file")
    return data


async def upload_listing_photo(
    info: Info,
    listing_id: Annotated[strawberry.ID, strawberry.argument(description="Your listing.")],
    file: Annotated[
        Upload,
        strawberry.argument(
            description="A JPEG, PNG or WebP image, sent as a multipart request (the GraphQL "
            "multipart request specification) with an Authorization header."
        ),
    ],
    alt_text: Annotated[
        str, strawberry.argument(description="What it shows, at most 500 characters.")
    ] = "",
) -> ListingPhotoPayload:
    principal = require_principal(info)
    settings = info.context.settings
    found = InputErrors()
    listing_uuid = found.check(parse_id, listing_id, "listing", "listingId")
    data = None
    if listing_uuid is not None:
        try:
            data = await _read_upload(file, settings.photo_max_bytes)
        except DomainError as refused:
            found.add(refused)
    if (error := found.as_error()) is not None:
        return ListingPhotoPayload(errors=user_errors(error, ARGUMENTS))
    assert listing_uuid is not None and data is not None
    row, errors = await errors_as_data(
        photo_flows.upload_photo(
            info.context.db,
            principal=principal,
            listing_id=listing_uuid,
            data=data,
            alt_text=alt_text,
            settings=settings,
            storage=photo_storage(settings),
        ),
        ARGUMENTS,
    )
    return ListingPhotoPayload(photo=_photo(info, row), errors=errors)


def _photo_id(id: str) -> uuid.UUID:
    parsed = parse_uuid(id, "ListingPhoto")
    if parsed is None:
        raise not_found("photo")
    return parsed


async def update_listing_photo(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The photo.")],
    alt_text: Annotated[
        str, strawberry.argument(description="Its new alt text, at most 500 characters.")
    ],
) -> ListingPhotoPayload:
    principal = require_principal(info)
    try:
        photo_id = _photo_id(id)
    except DomainError as error:
        return ListingPhotoPayload(errors=user_errors(error, ARGUMENTS))
    row, errors = await errors_as_data(
        photo_flows.set_alt_text(
            info.context.db, principal=principal, photo_id=photo_id, alt_text=alt_text
        ),
        ARGUMENTS,
    )
    return ListingPhotoPayload(photo=_photo(info, row), errors=errors)


ListingIdArgument = Annotated[strawberry.ID, strawberry.argument(description="Your listing.")]
PhotoIdsArgument = Annotated[
    list[strawberry.ID],
    strawberry.argument(description="Every photo of the listing once, in the new order."),
]


async def reorder_listing_photos(
    info: Info, listing_id: str, photo_ids: list[strawberry.ID]
) -> list[UserError]:
    """Shared by the reorder mutation: the errors, empty on success."""
    principal = require_principal(info)
    try:
        listing_uuid = parse_id(listing_id, "listing", "listingId")
        ids = [_in_list(photo_id) for photo_id in photo_ids]
    except DomainError as error:
        return user_errors(error, ARGUMENTS)
    _, errors = await errors_as_data(
        photo_flows.reorder(
            info.context.db, principal=principal, listing_id=listing_uuid, photo_ids=ids
        ),
        ARGUMENTS,
    )
    return errors


def _in_list(id: str) -> uuid.UUID:
    parsed = parse_uuid(id, "ListingPhoto")
    if parsed is None:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Not a photo id: {id!r}.", "photoIds")
    return parsed


async def remove_listing_photo(info: Info, id: str) -> tuple[uuid.UUID | None, list[UserError]]:
    """The listing the removed photo belonged to, or the errors."""
    principal = require_principal(info)
    try:
        photo_id = _photo_id(id)
    except DomainError as error:
        return None, user_errors(error, ARGUMENTS)
    row, errors = await errors_as_data(
        photo_flows.remove(
            info.context.db,
            principal=principal,
            photo_id=photo_id,
            storage=photo_storage(info.context.settings),
        ),
        ARGUMENTS,
    )
    return (row.listing_id if row else None), errors
