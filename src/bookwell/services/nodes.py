"""Objects by id for `node(id:)`, each only if the viewer may see it where the API shows it
elsewhere: what a viewer may not see is simply not found (never an error that tells it
exists)."""

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.records import build_all
from bookwell.models import Listing, ListingUnit, PriceRule, Reservation, Review, User
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.records import USER_COLUMNS, UserRecord
from bookwell.services.listings.records import (
    RULE_WITH_CURRENCY_COLUMNS,
    UNIT_COLUMNS,
    PriceRuleWithCurrency,
    UnitRecord,
)
from bookwell.services.reviews.records import REVIEW_COLUMNS, ReviewRecord


async def visible_users(
    *, session: AsyncSession, viewer: Principal | None, ids: Sequence[uuid.UUID]
) -> list[UserRecord]:
    """Users the viewer meets elsewhere in the API: themself, hosts (every listing shows its
    owner), and, for a host, the guests of their listings' reservations; admins see all."""
    stmt = select(*USER_COLUMNS).where(User.id.in_(ids))
    if viewer is None or not viewer.is_admin:
        hosts = exists().where(Listing.owner_id == User.id)
        shown: list[ColumnElement[bool]] = [hosts]
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
    return build_all(UserRecord, await session.execute(stmt))


async def reviews_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[ReviewRecord]:
    """Reviews are public, as Listing.reviews shows them."""
    stmt = select(*REVIEW_COLUMNS).where(Review.id.in_(ids))
    return build_all(ReviewRecord, await session.execute(stmt))


async def price_rules_by_ids(
    *, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[PriceRuleWithCurrency]:
    """Price rules are public, as Listing.priceRules shows them; with their listing's
    currency."""
    stmt = (
        select(*RULE_WITH_CURRENCY_COLUMNS)
        .join(Listing, Listing.id == PriceRule.listing_id)
        .where(PriceRule.id.in_(ids))
    )
    return build_all(PriceRuleWithCurrency, await session.execute(stmt))


async def units_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[UnitRecord]:
    """Units are public, as Listing.bookableUnits shows them."""
    stmt = select(*UNIT_COLUMNS).where(ListingUnit.id.in_(ids))
    return build_all(UnitRecord, await session.execute(stmt))
