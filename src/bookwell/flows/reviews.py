"""Review flows."""

import uuid

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.services.accounts.principal import Principal
from bookwell.services.reviews import reviews
from bookwell.services.reviews.records import ReviewRecord


async def create_review(
    db: Database, *, author: Principal, reservation_id: uuid.UUID, rating: int, comment: str
) -> ReviewRecord:
    """The guest of a COMPLETED stay reviews it, once."""
    return await in_one_transaction(
        db,
        lambda session: reviews.create_review(
            session=session,
            author=author,
            reservation_id=reservation_id,
            rating=rating,
            comment=comment,
        ),
    )
