"""Reviews: a guest rates a completed stay once; listings show their reviews and rating."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, check_text, invalid, not_found
from bookwell.core.pagination import Page, PageRequest, keyset, page_of
from bookwell.core.records import build_all
from bookwell.models import Listing, ReservationStatus, Review, User, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.reservations import reservations_by_ids
from bookwell.services.reviews.records import REVIEW_COLUMNS, ReviewRecord

MIN_RATING = 1
MAX_RATING = 5
MAX_COMMENT_LENGTH = 5000


@dataclass(frozen=True, slots=True)
class Rating:
    # The mean of all ratings, to two places; None while a listing has no review.
    average: Decimal | None
    count: int


NO_RATING = Rating(average=None, count=0)


def _check_rating(rating: int) -> None:
    if not MIN_RATING <= rating <= MAX_RATING:
        raise invalid("rating", f"rating must be between {MIN_RATING} and {MAX_RATING}.")


def _checked_comment(comment: str) -> str:
    comment = check_text(comment, "comment").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise invalid("comment", f"A comment has at most {MAX_COMMENT_LENGTH} characters.")
    return comment


def checked_review_input(*, rating: int, comment: str) -> str:
    """The comment to keep (stripped), after checking it and the rating: both mistakes at once."""
    found = InputErrors()
    found.check(_check_rating, rating)
    checked = found.check(_checked_comment, comment)
    found.raise_if_any()
    assert checked is not None
    return checked


async def create_review(
    *,
    session: AsyncSession,
    author: Principal,
    reservation_id: uuid.UUID,
    rating: int,
    comment: str,
) -> ReviewRecord:
    """The guest of a COMPLETED stay reviews it, once.

    Someone who may not see the reservation learns nothing (NOT_FOUND); its host, who may see
    it, is told FORBIDDEN, and so is a host who stayed on their own listing (no rating
    oneself). The unique reservation_id makes "once" hold under concurrency:
    of two racing inserts the second finds the first and answers ALREADY_EXISTS.
    """
    comment = checked_review_input(rating=rating, comment=comment)
    found = await reservations_by_ids(session=session, viewer=author, ids=[reservation_id])
    if not found:
        raise not_found("reservation", "reservationId")
    reservation = found[0]
    if reservation.guest_id != author.user_id:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only the guest of a stay may review it.", "reservationId"
        )
    owner = select(Listing.owner_id).where(Listing.id == reservation.listing_id)
    if await session.scalar(owner) == author.user_id:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "A host cannot review a stay on their own listing.",
            "reservationId",
        )
    if reservation.status is not ReservationStatus.COMPLETED:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"Only a completed stay can be reviewed; this one is {reservation.status.value}.",
            "reservationId",
        )
    author_name = select(User.name).where(User.id == author.user_id).scalar_subquery()
    stmt = (
        insert(Review)
        .values(
            id=new_id(),
            reservation_id=reservation.id,
            listing_id=reservation.listing_id,
            author_id=author.user_id,
            rating=rating,
            comment=comment,
        )
        .on_conflict_do_nothing(index_elements=[Review.reservation_id])
        .returning(*REVIEW_COLUMNS[:-1], author_name.label("author_name"))
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise DomainError(
            ErrorCode.ALREADY_EXISTS, "This stay has been reviewed already.", "reservationId"
        )
    return ReviewRecord(*row)


async def ratings_of_listings(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Rating]:
    """Average and count per listing, in one query; listings without reviews get NO_RATING."""
    stmt = (
        select(
            Review.listing_id,
            func.round(func.avg(Review.rating), 2).label("average"),
            func.count().label("count"),
        )
        .where(Review.listing_id.in_(listing_ids))
        .group_by(Review.listing_id)
    )
    found = {
        listing_id: Rating(average=average, count=count)
        for listing_id, average, count in await session.execute(stmt)
    }
    return {listing_id: found.get(listing_id, NO_RATING) for listing_id in listing_ids}


async def newest_reviews_of_listings(
    *,
    session: AsyncSession,
    listing_ids: Sequence[uuid.UUID],
    page: PageRequest,
) -> dict[uuid.UUID, Page[ReviewRecord]]:
    """A page of each listing's reviews, newest first, in one query: a LATERAL subquery per
    listing walks the (listing_id, id) index."""
    listings = select(Listing.id).where(Listing.id.in_(listing_ids)).subquery("l")
    newest = select(*REVIEW_COLUMNS).where(Review.listing_id == listings.c.id)
    lateral = keyset(newest, Review.id, page, descending=True).lateral("r")
    stmt = select(lateral).select_from(listings.join(lateral, true()))
    found: dict[uuid.UUID, list[ReviewRecord]] = {listing_id: [] for listing_id in listing_ids}
    for review in build_all(ReviewRecord, await session.execute(stmt)):
        found[review.listing_id].append(review)
    return {listing_id: page_of(rows, page) for listing_id, rows in found.items()}


async def reviews_of_reservations(
    *, session: AsyncSession, reservation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ReviewRecord]:
    stmt = select(*REVIEW_COLUMNS).where(Review.reservation_id.in_(reservation_ids))
    reviews = build_all(ReviewRecord, await session.execute(stmt))
    return {review.reservation_id: review for review in reviews}
