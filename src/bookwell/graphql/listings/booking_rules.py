"""Booking rules as hosts and guests see them, and the inputs that set them."""

import uuid
from datetime import date

import strawberry

from bookwell.core.errors import DomainError
from bookwell.core.ids import global_id
from bookwell.graphql.context import Info
from bookwell.graphql.shared.errors import UserError
from bookwell.graphql.shared.node import Node
from bookwell.services.listings.booking_rules import Rules
from bookwell.services.listings.booking_rules_store import (
    BookingRuleRecord,
    NewSeason,
    checked_rules,
)

_MIN_NIGHTS = "Stays have at least this many nights; null: 1."
_MAX_NIGHTS = "Stays have at most this many nights; null: no limit but the API's 365."
_NOTICE = (
    "Bookings are made at least this many hours before the start (a stay's check-in time on "
    "its first day, a slot's start), in the listing's timezone; null: until the start."
)
_WINDOW = "Bookings start at most this many days after today (listing time); null: no limit."
_ARRIVALS = "ISO weekdays (1 = Monday ... 7 = Sunday) a stay may start on; null: any day."
_DEPARTURES = "ISO weekdays a stay may end (check out) on; null: any day."


@strawberry.type(
    description="What a host lets guests book. Nights and weekdays apply to stays; notice "
    "and window to stays and slots. A null rule is no rule (on a season: the listing's)."
)
class BookingRules:
    min_nights: int | None = strawberry.field(description=_MIN_NIGHTS)
    max_nights: int | None = strawberry.field(description=_MAX_NIGHTS)
    min_notice_hours: int | None = strawberry.field(description=_NOTICE)
    booking_window_days: int | None = strawberry.field(description=_WINDOW)
    arrival_weekdays: list[int] | None = strawberry.field(description=_ARRIVALS)
    departure_weekdays: list[int] | None = strawberry.field(description=_DEPARTURES)

    @classmethod
    def from_row(cls, row: BookingRuleRecord | None) -> "BookingRules":
        if row is None:
            return cls(
                min_nights=None,
                max_nights=None,
                min_notice_hours=None,
                booking_window_days=None,
                arrival_weekdays=None,
                departure_weekdays=None,
            )
        return cls(
            min_nights=row.min_nights,
            max_nights=row.max_nights,
            min_notice_hours=row.min_notice_hours,
            booking_window_days=row.booking_window_days,
            arrival_weekdays=row.arrival_weekdays,
            departure_weekdays=row.departure_weekdays,
        )


@strawberry.type(
    description="A season's booking rules: for stays (and slots) arriving from startDate to "
    "the day before endDate, each rule it sets replaces the listing's (the newest season "
    "setting a rule wins)."
)
class BookingRuleSeason(Node):
    database_id: uuid.UUID = strawberry.field(description="The season's UUIDv7 as stored.")
    name: str = strawberry.field(description="The host's name for it, named in refusals.")
    start_date: date = strawberry.field(description="The first arrival day it covers.")
    end_date: date = strawberry.field(description="The first arrival day it no longer covers.")
    rules: BookingRules = strawberry.field(description="The rules it sets (null: unchanged).")

    @classmethod
    def from_row(cls, row: BookingRuleRecord) -> "BookingRuleSeason":
        assert row.start_date is not None and row.end_date is not None
        return cls(
            id=global_id("BookingRuleSeason", row.id),
            database_id=row.id,
            name=row.name or "",
            start_date=row.start_date,
            end_date=row.end_date,
            rules=BookingRules.from_row(row),
        )


async def rules_of(info: Info, listing_id: uuid.UUID) -> BookingRules:
    rows = await info.context.loaders.booking_rules.load(listing_id)
    return BookingRules.from_row(next((row for row in rows if row.start_date is None), None))


async def seasons_of(info: Info, listing_id: uuid.UUID) -> list[BookingRuleSeason]:
    rows = await info.context.loaders.booking_rules.load(listing_id)
    return [BookingRuleSeason.from_row(row) for row in rows if row.start_date is not None]


def _weekdays(days: list[int] | None) -> frozenset[int] | None:
    return None if days is None else frozenset(days)


@strawberry.input(description="Booking rules; a null (or absent) field sets no such rule.")
class BookingRulesInput:
    min_nights: int | None = strawberry.field(default=None, description=_MIN_NIGHTS + " 1-365.")
    max_nights: int | None = strawberry.field(default=None, description=_MAX_NIGHTS + " 1-365.")
    min_notice_hours: int | None = strawberry.field(default=None, description=_NOTICE + " 0-8784.")
    booking_window_days: int | None = strawberry.field(
        default=None, description=_WINDOW + " 1-3660."
    )
    arrival_weekdays: list[int] | None = strawberry.field(default=None, description=_ARRIVALS)
    departure_weekdays: list[int] | None = strawberry.field(default=None, description=_DEPARTURES)

    def to_rules(self) -> Rules:
        return Rules(
            min_nights=self.min_nights,
            max_nights=self.max_nights,
            min_notice_hours=self.min_notice_hours,
            booking_window_days=self.booking_window_days,
            arrival_weekdays=_weekdays(self.arrival_weekdays),
            departure_weekdays=_weekdays(self.departure_weekdays),
        )

    def to_domain(self) -> Rules:
        """The rules, or every mistake in them at once."""
        return checked_rules(self.to_rules())


def checked_booking_rules(rules: BookingRulesInput | None) -> Rules | None:
    """createListing's and updateListing's bookingRules, mistakes under that name."""
    try:
        return None if rules is None else rules.to_domain()
    except DomainError as error:
        raise error.under("bookingRules") from None


@strawberry.input(
    description="A season of booking rules on a listing: at least one rule; a listing has "
    "at most 100 seasons."
)
class BookingRuleSeasonInput:
    listing_id: strawberry.ID = strawberry.field(description="Your listing.")
    name: str = strawberry.field(description='1 to 100 characters, such as "Summer".')
    start_date: date = strawberry.field(description="The first arrival day it covers.")
    end_date: date = strawberry.field(description="The first arrival day it no longer covers.")
    rules: BookingRulesInput = strawberry.field(description="What it changes.")

    def to_domain(self) -> NewSeason:
        """Checked by the service, every mistake at once (the rules' under "rules")."""
        return NewSeason(self.name, self.start_date, self.end_date, self.rules.to_rules())


@strawberry.type(description="What addBookingRuleSeason answers: the new season, or why not.")
class BookingRuleSeasonPayload:
    season: BookingRuleSeason | None = strawberry.field(
        default=None, description="The new season; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (NOT_FOUND, FORBIDDEN, INVALID_INPUT, INVALID_DATES); "
        "empty on success.",
    )
