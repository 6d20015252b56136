import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin


class ListingPhoto(IdMixin, Base):
    """A photo of a listing. Its files (one per size variant) live in the photo storage
    (core/storage.py) under `storage_key`; the row is written only once they all are."""

    __tablename__ = "listing_photos"
    __table_args__ = (
        CheckConstraint("width >= 1 AND height >= 1", name="dimensions_positive"),
        CheckConstraint("byte_size >= 1", name="byte_size_positive"),
        Index("ix_listing_photos_listing_id", "listing_id", "position"),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    # The order photos are shown in: smallest first (ties by id). Not unique, so a reorder
    # is one UPDATE without transient collisions.
    position: Mapped[int] = mapped_column(Integer)
    alt_text: Mapped[str] = mapped_column(String(500), default="")
    # image/jpeg, image/png or image/webp: what every variant is encoded as.
    content_type: Mapped[str] = mapped_column(String(32))
    # Of the uploaded image (after EXIF orientation), and its size in bytes.
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200))
    # [{"name": "thumbnail", "width": .., "height": .., "bytes": .., "key": ..}, ...]
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
