"""What a host sets on a listing after creating it: prices, fees, holds, cancellation policy.

Changes apply to bookings made afterwards; a booking keeps the snapshot it was made with.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, check_text, invalid, not_found
from bookwell.core.records import build_all
from bookwell.models import HostNotice, Listing, PriceRule, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.records import (
    LISTING_COLUMNS,
    RULE_COLUMNS,
    ListingRecord,
    PriceRuleRecord,
)

MAX_RULES = 100


@dataclass(frozen=True, slots=True)
class TermsUpdate:
    """Only the fields that are not None change."""

    nightly_price: Decimal | None = None
    cleaning_fee: Decimal | None = None
    instant_book: bool | None = None
    hold_minutes: int | None = None
    approval_hours: int | None = None
    offer_minutes: int | None = None
    free_cancellation_days: int | None = None
    late_refund_percent: int | None = None
    no_show_refund_percent: int | None = None
    max_hold_nights: int | None = None
    max_hold_units: int | None = None
    max_guest_holds: int | None = None
    max_listing_holds: int | None = None
    allow_guest_checkout: bool | None = None
    notify_host_on_check_in: HostNotice | None = None
    notify_host_on_no_show: HostNotice | None = None


RANGES = {
    "hold_minutes": (1, 10080),
    "approval_hours": (1, 720),
    "offer_minutes": (1, 10080),
    "free_cancellation_days": (0, 365),
    "late_refund_percent": (0, 100),
    "no_show_refund_percent": (0, 100),
    "max_hold_nights": (1, 365),
    "max_hold_units": (1, 10000),
    "max_guest_holds": (1, 100),
    "max_listing_holds": (1, 10000),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _owned(principal: Principal, listing_id: uuid.UUID) -> ColumnElement[bool]:
    condition = Listing.id == listing_id
    if not principal.is_admin:
        condition = condition & (Listing.owner_id == principal.user_id)
    return condition


async def _check_owner(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID
) -> None:
    """NOT_FOUND for a listing that does not exist; FORBIDDEN for someone else's."""
    owner = (
        await session.execute(select(Listing.owner_id).where(Listing.id == listing_id))
    ).scalar_one_or_none()
    if owner is None:
        raise not_found("listing", "listingId")
    if owner != principal.user_id and not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only the listing's host can change it.", "listingId"
        )


def check_term_ranges(changes: TermsUpdate) -> None:
    """Every count or percent out of its range, at once."""
    found = InputErrors()
    for name, (low, high) in RANGES.items():
        value = getattr(changes, name)
        if value is not None and not low <= value <= high:
            found.add(invalid(_camel(name), f"{_camel(name)} must be between {low} and {high}."))
    found.raise_if_any()


async def update_terms(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, changes: TermsUpdate
) -> ListingRecord:
    check_term_ranges(changes)
    values = {f.name: getattr(changes, f.name) for f in fields(changes)}
    values = {name: value for name, value in values.items() if value is not None}
    if not values:
        raise invalid((), "Nothing to change.")  # (): the changes as a whole
    stmt = (
        update(Listing)
        .where(_owned(principal, listing_id))
        .values(**values)
        .returning(*LISTING_COLUMNS)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        await _check_owner(session=session, principal=principal, listing_id=listing_id)
        raise not_found("listing", "listingId")  # deleted meanwhile
    return ListingRecord(*row)


@dataclass(frozen=True, slots=True)
class NewPriceRule:
    name: str
    nightly_price: Decimal
    start_date: date | None = None
    end_date: date | None = None
    weekdays: Sequence[int] | None = None


def _checked_rule_name(name: str) -> str:
    name = check_text(name, "name").strip()
    if not 1 <= len(name) <= 100:
        raise invalid("name", "A rule's name has 1 to 100 characters.")
    return name


def checked_rule_terms(
    *, name: str, start_date: date | None, end_date: date | None, weekdays: Sequence[int] | None
) -> tuple[str, list[int] | None]:
    """A price rule's name (stripped) and weekdays (sorted, once each), after checking them
    and its dates: every mistake at once."""
    found = InputErrors()
    checked_name = found.check(_checked_rule_name, name)
    if start_date and end_date and end_date <= start_date:
        found.add(
            DomainError(ErrorCode.INVALID_DATES, "endDate must be after startDate.", "endDate")
        )
    days = sorted(set(weekdays)) if weekdays else None
    if days is not None and not all(1 <= day <= 7 for day in days):
        found.add(invalid("weekdays", "Weekdays are ISO numbers: 1 (Monday) to 7 (Sunday)."))
    if start_date is None and end_date is None and days is None:
        found.add(
            invalid("startDate", "A rule needs dates, weekdays or both; else change the price.")
        )
    found.raise_if_any()
    assert checked_name is not None
    return checked_name, days


async def add_price_rule(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, rule: NewPriceRule
) -> PriceRuleRecord:
    name, weekdays = checked_rule_terms(
        name=rule.name, start_date=rule.start_date, end_date=rule.end_date, weekdays=rule.weekdays
    )
    await _check_owner(session=session, principal=principal, listing_id=listing_id)
    count = select(PriceRule.id).where(PriceRule.listing_id == listing_id).limit(MAX_RULES)
    if len((await session.execute(count)).all()) >= MAX_RULES:
        raise invalid("listingId", f"A listing has at most {MAX_RULES} price rules.")
    stmt = (
        insert(PriceRule)
        .values(
            id=new_id(),
            listing_id=listing_id,
            name=name,
            start_date=rule.start_date,
            end_date=rule.end_date,
            weekdays=weekdays,
            nightly_price=rule.nightly_price,
        )
        .returning(*RULE_COLUMNS)
    )
    return PriceRuleRecord(*(await session.execute(stmt)).one())


async def remove_price_rule(
    *, session: AsyncSession, principal: Principal, rule_id: uuid.UUID
) -> ListingRecord:
    """Delete a rule; returns the listing it belonged to."""
    owned = select(Listing.id)
    if not principal.is_admin:
        owned = owned.where(Listing.owner_id == principal.user_id)
    stmt = (
        delete(PriceRule)
        .where(PriceRule.id == rule_id, PriceRule.listing_id.in_(owned))
        .returning(PriceRule.listing_id)
    )
    listing_id = (await session.execute(stmt)).scalar_one_or_none()
    if listing_id is None:
        raise not_found("price rule")
    listing = select(*LISTING_COLUMNS).where(Listing.id == listing_id)
    return ListingRecord(*(await session.execute(listing)).one())


async def rules_of_listings(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PriceRuleRecord]]:
    stmt = (
        select(*RULE_COLUMNS)
        .where(PriceRule.listing_id.in_(listing_ids))
        .order_by(PriceRule.id.desc())
    )
    found: dict[uuid.UUID, list[PriceRuleRecord]] = {listing_id: [] for listing_id in listing_ids}
    for rule in build_all(PriceRuleRecord, await session.execute(stmt)):
        found[rule.listing_id].append(rule)
    return found
