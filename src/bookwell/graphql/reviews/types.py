import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from bookwell.core.ids import global_id
from bookwell.core.pagination import PageRequest
from bookwell.graphql.context import Info
from bookwell.graphql.shared.errors import UserError
from bookwell.graphql.shared.node import Node
from bookwell.graphql.shared.pagination import Connection
from bookwell.services.reviews.records import ReviewRecord

if TYPE_CHECKING:
    from bookwell.graphql.listings.types import Listing


@strawberry.type(description="A guest's review of a completed stay.")
class Review(Node):
    database_id: uuid.UUID = strawberry.field(
        description="The review's UUIDv7 as stored (sortable by creation time), for SQL and "
        "analysts; inputs accept it wherever they take this review's id."
    )
    rating: int = strawberry.field(description="1 to 5.")
    comment: str = strawberry.field(
        description="The guest's words, at most 5000 characters; may be empty."
    )
    author_name: str = strawberry.field(description="The reviewing guest's name.")
    created_at: datetime = strawberry.field(description="When it was written.")
    listing_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The listing reviewed.")
    async def listing(
        self, info: Info
    ) -> Annotated["Listing", strawberry.lazy("bookwell.graphql.listings.types")]:
        from bookwell.graphql.listings.types import Listing

        return Listing.from_row(await info.context.loaders.listing.load(self.listing_id))

    @classmethod
    def from_row(cls, row: ReviewRecord) -> "Review":
        return cls(
            id=global_id("Review", row.id),
            database_id=row.id,
            rating=row.rating,
            comment=row.comment,
            author_name=row.author_name,
            created_at=row.created_at,
            listing_id=row.listing_id,
        )


@strawberry.type(description="How guests rated a listing.")
class ListingRating:
    average: float | None = strawberry.field(
        description="The mean rating rounded to two places; null while there is no review."
    )
    count: int = strawberry.field(description="The listing's reviews; 0 when none.")


@strawberry.input(description="A guest's review of their COMPLETED stay.")
class CreateReviewInput:
    reservation_id: strawberry.ID = strawberry.field(
        description="The COMPLETED reservation you were the guest of."
    )
    rating: int = strawberry.field(description="1 to 5.")
    comment: str = strawberry.field(default="", description="At most 5000 characters.")


@strawberry.type(description="What createReview answers: the review, or why not.")
class ReviewPayload:
    review: Review | None = strawberry.field(
        default=None, description="The new review; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing was written (NOT_FOUND, FORBIDDEN: not your stay, "
        "INVALID_STATE: not COMPLETED, ALREADY_EXISTS, INVALID_INPUT); empty on success.",
    )


async def listing_rating(info: Info, listing_id: uuid.UUID) -> ListingRating:
    """Batched with every other listing's rating in this request: one query for all."""
    found = await info.context.loaders.rating.load(listing_id)
    average = float(found.average) if found.average is not None else None
    return ListingRating(average=average, count=found.count)


async def listing_reviews(
    info: Info, listing_id: uuid.UUID, page: PageRequest
) -> Connection[Review]:
    """Newest first; batched with the other listings' reviews asked for with the same page."""
    found = await info.context.loaders.reviews.load((listing_id, page))

    async def count() -> int:
        return (await info.context.loaders.rating.load(listing_id)).count

    return Connection.of(found, Review.from_row, count)


async def reservation_review(info: Info, reservation_id: uuid.UUID) -> Review | None:
    row = await info.context.loaders.reservation_review.load(reservation_id)
    return Review.from_row(row) if row else None
