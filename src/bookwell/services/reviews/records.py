"""What the reviews services return."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bookwell.core.records import columns_for
from bookwell.models import Review, User


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: uuid.UUID
    created_at: datetime
    reservation_id: uuid.UUID
    listing_id: uuid.UUID
    author_id: uuid.UUID
    rating: int
    comment: str
    # Reviews are public; their author shows by name only.
    author_name: str


AUTHOR_NAME = select(User.name).where(User.id == Review.author_id).scalar_subquery()
REVIEW_COLUMNS = columns_for(ReviewRecord, Review.__table__, author_name=AUTHOR_NAME)
