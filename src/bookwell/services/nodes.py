"""Objects by id for `node(id:)`, each only if the viewer may see it where the API shows it
elsewhere: what a viewer may not see is simply not found (never an error that tells it
exists)."""

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Listing, ListingUnit, PriceRule, Reservation, Review, User
from bookwell.services.accounts.accounts import USER_COLUMNS
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.terms import RULE_COLUMNS
from bookwell.services.listings.units import UNIT_COLUMNS
from bookwell.services.reviews.reviews import AUTHOR_NAME, REVIEW_COLUMNS


async def visible_users(
    *, session: AsyncSession, viewer: Principal | None, ids: Sequence[uuid.UUID]
) -> list[Row]:
    """Users the viewer meets elsewhere in the API: themself, hosts (every listing shows its
    owner), and, for a host, the guests of their listings' reservations; admins see all."""
    stmt = select(*USER_COLUMNS).where(User.id.in_(ids))
    if viewer is None or not viewer.is_admin:
        hosts = exists().where(Listing.owner_id == User.id)
        shown = [hosts]
        if viewer is not None:
            their_guest = (
                exists()
                .where(Reservation.guest_id == User.id)
                .where(
                    Reservation.listing_id.in_(
                        select(Listing.id).where(Listing.owner_id == viewer.user_id)
                    )
                )
            )
            shown += [User.id == viewer.user_id, their_guest]
        stmt = stmt.where(or_(*shown))
    return list((await session.execute(stmt)).all())


async def reviews_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Row]:
    """Reviews are public, as Listing.reviews shows them."""
    stmt = select(*REVIEW_COLUMNS, AUTHOR_NAME).where(Review.id.in_(ids))
    return list((await session.execute(stmt)).all())


async def price_rules_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Row]:
    """Price rules are public, as Listing.priceRules shows them; with their listing's
    currency."""
    stmt = (
        select(*RULE_COLUMNS, Listing.currency)
        .join(Listing, Listing.id == PriceRule.listing_id)
        .where(PriceRule.id.in_(ids))
    )
    return list((await session.execute(stmt)).all())


async def units_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Row]:
    """Units are public, as Listing.bookableUnits shows them."""
    stmt = select(*UNIT_COLUMNS).where(ListingUnit.id.in_(ids))
    return list((await session.execute(stmt)).all())
