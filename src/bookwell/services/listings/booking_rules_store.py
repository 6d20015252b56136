"""Booking rules in the database: a host sets a listing's rules and its seasons; bookings read
them with the listing's terms (one JSON column); searches apply them in SQL.

See booking_rules.py for what the rules mean.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    TextClause,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, check_text, invalid, not_found
from bookwell.core.records import build_all, columns_for
from bookwell.models import BookingRule, Listing, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings.booking_rules import (
    BookingRules,
    Rules,
    booking_rules_from_json,
)
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord

MAX_SEASONS = 100
RANGES = {
    "min_nights": (1, 365),
    "max_nights": (1, 365),
    "min_notice_hours": (0, 8784),
    "booking_window_days": (1, 3660),
}


@dataclass(frozen=True, slots=True)
class BookingRuleRecord:
    """The listing's own rules (no name or dates) or a season's."""

    id: uuid.UUID
    created_at: datetime
    listing_id: uuid.UUID
    name: str | None
    start_date: date | None
    end_date: date | None
    min_nights: int | None
    max_nights: int | None
    min_notice_hours: int | None
    booking_window_days: int | None
    arrival_weekdays: list[int] | None
    departure_weekdays: list[int] | None


RULE_COLUMNS = columns_for(BookingRuleRecord, BookingRule.__table__)


def rules_json(listing_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[Any]:
    """A listing's booking rules (its own and its seasons', newest first) as one JSON array,
    to read with its row (booking_rules.booking_rules_from_json)."""
    rule = func.jsonb_build_object(
        "name",
        BookingRule.name,
        "start",
        BookingRule.start_date,
        "end",
        BookingRule.end_date,
        "minNights",
        BookingRule.min_nights,
        "maxNights",
        BookingRule.max_nights,
        "minNoticeHours",
        BookingRule.min_notice_hours,
        "bookingWindowDays",
        BookingRule.booking_window_days,
        "arrivalWeekdays",
        BookingRule.arrival_weekdays,
        "departureWeekdays",
        BookingRule.departure_weekdays,
    )
    aggregated = func.jsonb_agg(aggregate_order_by(rule, BookingRule.id.desc()))
    return (
        select(func.coalesce(aggregated, func.jsonb("[]")))
        .where(BookingRule.listing_id == listing_id)
        .scalar_subquery()
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def checked_rules(rules: Rules) -> Rules:
    """The rules with weekdays as sets, after checking every range: all mistakes at once."""
    found = InputErrors()
    for name, (low, high) in RANGES.items():
        value = getattr(rules, name)
        if value is not None and not low <= value <= high:
            found.add(invalid(_camel(name), f"{_camel(name)} must be between {low} and {high}."))
    if rules.min_nights and rules.max_nights and rules.min_nights > rules.max_nights:
        found.add(invalid("maxNights", "maxNights must be at least minNights."))
    for name in ("arrival_weekdays", "departure_weekdays"):
        days = getattr(rules, name)
        if days is not None and not (days and all(1 <= day <= 7 for day in days)):
            found.add(
                invalid(
                    _camel(name),
                    f"{_camel(name)} lists ISO weekdays, 1 (Monday) to 7 (Sunday); at least one.",
                )
            )
    found.raise_if_any()
    return rules


def _values(rules: Rules) -> dict[str, Any]:
    values = {f.name: getattr(rules, f.name) for f in fields(rules)}
    for name in ("arrival_weekdays", "departure_weekdays"):
        if values[name] is not None:
            values[name] = sorted(values[name])
    return values


async def _check_owner(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID
) -> None:
    """NOT_FOUND for a listing that does not exist; FORBIDDEN for someone else's. Locks the
    listing's row (as a hold does) so two hosts' changes of its rules take turns."""
    stmt = select(Listing.owner_id).where(Listing.id == listing_id).with_for_update(key_share=True)
    owner = (await session.execute(stmt)).scalar_one_or_none()
    if owner is None:
        raise not_found("listing", "listingId")
    if owner != principal.user_id and not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only the listing's host can change it.", "listingId"
        )


async def _listing(*, session: AsyncSession, listing_id: uuid.UUID) -> ListingRecord:
    stmt = select(*LISTING_COLUMNS).where(Listing.id == listing_id)
    return ListingRecord(*(await session.execute(stmt)).one())


async def set_rules(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, rules: Rules
) -> ListingRecord:
    """Replace the listing's own rules (all None: no rules); seasons stay."""
    values = _values(checked_rules(rules))
    await _check_owner(session=session, principal=principal, listing_id=listing_id)
    await session.execute(
        delete(BookingRule).where(
            BookingRule.listing_id == listing_id, BookingRule.start_date.is_(None)
        )
    )
    if any(value is not None for value in values.values()):
        await session.execute(
            insert(BookingRule).values(id=new_id(), listing_id=listing_id, **values)
        )
    return await _listing(session=session, listing_id=listing_id)


@dataclass(frozen=True, slots=True)
class NewSeason:
    name: str
    start_date: date
    end_date: date
    rules: Rules


def _checked_season(season: NewSeason) -> str:
    found = InputErrors()
    name = check_text(season.name, "name").strip()
    if not 1 <= len(name) <= 100:
        found.add(invalid("name", "A season's name has 1 to 100 characters."))
    if season.end_date <= season.start_date:
        found.add(
            DomainError(ErrorCode.INVALID_DATES, "endDate must be after startDate.", "endDate")
        )
    try:
        checked_rules(season.rules)
    except DomainError as error:
        found.add(error.under("rules"))
    if all(value is None for value in _values(season.rules).values()):
        found.add(invalid("rules", "A season sets at least one rule."))
    found.raise_if_any()
    return name


async def add_season(
    *, session: AsyncSession, principal: Principal, listing_id: uuid.UUID, season: NewSeason
) -> BookingRuleRecord:
    name = _checked_season(season)
    await _check_owner(session=session, principal=principal, listing_id=listing_id)
    count = select(BookingRule.id).where(BookingRule.listing_id == listing_id).limit(MAX_SEASONS)
    if len((await session.execute(count)).all()) >= MAX_SEASONS:
        raise invalid("listingId", f"A listing has at most {MAX_SEASONS} booking rule seasons.")
    stmt = (
        insert(BookingRule)
        .values(
            id=new_id(),
            listing_id=listing_id,
            name=name,
            start_date=season.start_date,
            end_date=season.end_date,
            **_values(season.rules),
        )
        .returning(*RULE_COLUMNS)
    )
    return BookingRuleRecord(*(await session.execute(stmt)).one())


async def remove_season(
    *, session: AsyncSession, principal: Principal, season_id: uuid.UUID
) -> ListingRecord:
    """Delete a season; returns the listing it belonged to."""
    owned = select(Listing.id)
    if not principal.is_admin:
        owned = owned.where(Listing.owner_id == principal.user_id)
    stmt = (
        delete(BookingRule)
        .where(
            BookingRule.id == season_id,
            BookingRule.start_date.is_not(None),
            BookingRule.listing_id.in_(owned),
        )
        .returning(BookingRule.listing_id)
    )
    listing_id = (await session.execute(stmt)).scalar_one_or_none()
    if listing_id is None:
        raise not_found("booking rule season")
    return await _listing(session=session, listing_id=listing_id)


async def rule_rows_of_listings(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BookingRuleRecord]]:
    """Each listing's rows, newest first (its own rules, if any, among them)."""
    stmt = (
        select(*RULE_COLUMNS)
        .where(BookingRule.listing_id.in_(listing_ids))
        .order_by(BookingRule.id.desc())
    )
    found: dict[uuid.UUID, list[BookingRuleRecord]] = {listing_id: [] for listing_id in listing_ids}
    for row in build_all(BookingRuleRecord, await session.execute(stmt)):
        found[row.listing_id].append(row)
    return found


async def seasons_by_ids(
    *, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[BookingRuleRecord]:
    """Seasons are public, as Listing.bookingRuleSeasons shows them."""
    stmt = select(*RULE_COLUMNS).where(BookingRule.id.in_(ids), BookingRule.start_date.is_not(None))
    return build_all(BookingRuleRecord, await session.execute(stmt))


async def booking_rules_of_listings(
    *, session: AsyncSession, listing_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, BookingRules]:
    stmt = select(Listing.id, rules_json(Listing.id)).where(Listing.id.in_(listing_ids))
    return {row[0]: booking_rules_from_json(row[1]) for row in await session.execute(stmt)}


# The stay search's rules, in SQL: for each rule, the newest season covering the arrival day
# that sets it, else the listing's own (as BookingRules.on). Weekday sets are aggregated as
# bit masks (bit n: ISO weekday n). The statement binds :start and :end (the stay).
_EFFECTIVE = """
    SELECT (array_agg(r.min_nights ORDER BY r.start_date IS NULL, r.id DESC)
              FILTER (WHERE r.min_nights IS NOT NULL))[1] AS min_nights,
           (array_agg(r.max_nights ORDER BY r.start_date IS NULL, r.id DESC)
              FILTER (WHERE r.max_nights IS NOT NULL))[1] AS max_nights,
           (array_agg(r.min_notice_hours ORDER BY r.start_date IS NULL, r.id DESC)
              FILTER (WHERE r.min_notice_hours IS NOT NULL))[1] AS min_notice_hours,
           (array_agg(r.booking_window_days ORDER BY r.start_date IS NULL, r.id DESC)
              FILTER (WHERE r.booking_window_days IS NOT NULL))[1] AS booking_window_days,
           (array_agg((SELECT sum(1 << d) FROM unnest(r.arrival_weekdays) d)
                      ORDER BY r.start_date IS NULL, r.id DESC)
              FILTER (WHERE r.arrival_weekdays IS NOT NULL))[1] AS arrivals,
           (array_agg((SELECT sum(1 << d) FROM unnest(r.departure_weekdays) d)
                      ORDER BY r.start_date IS NULL, r.id DESC)
              FILTER (WHERE r.departure_weekdays IS NOT NULL))[1] AS departures
      FROM listing_booking_rules r
     WHERE r.listing_id = listings.id
       AND (r.start_date IS NULL
            OR (r.start_date <= CAST(:start AS date) AND CAST(:start AS date) < r.end_date))
"""
_BROKEN = """
    e.min_nights > CAST(:end AS date) - CAST(:start AS date)
    OR e.max_nights < CAST(:end AS date) - CAST(:start AS date)
    OR (CAST(:start AS date) + listings.check_in_time) AT TIME ZONE listings.timezone
       < now() + make_interval(hours => e.min_notice_hours)
    OR CAST(:start AS date) - (now() AT TIME ZONE listings.timezone)::date > e.booking_window_days
    OR (e.arrivals::int >> extract(isodow FROM CAST(:start AS date))::int) & 1 = 0
    OR (e.departures::int >> extract(isodow FROM CAST(:end AS date))::int) & 1 = 0
"""


# The rows _EFFECTIVE aggregates. Most listings have none: probing the index first spares
# them the six ordered aggregates (their all-NULL answer breaks no rule anyway).
_APPLYING = """
    SELECT FROM listing_booking_rules g
     WHERE g.listing_id = listings.id
       AND (g.start_date IS NULL
            OR (g.start_date <= CAST(:start AS date) AND CAST(:start AS date) < g.end_date))
"""


def stay_allowed() -> TextClause:
    """The listing's rules allow the stay [:start, :end) now (a WHERE condition on
    `listings`; bind start and end as dates)."""
    return text(
        f"(NOT EXISTS ({_APPLYING}) OR NOT EXISTS (SELECT 1 FROM ({_EFFECTIVE}) e WHERE {_BROKEN}))"
    )
