from datetime import date, time
from decimal import Decimal

import strawberry

from bookwell.schema.enums import ListingKind, Role
from bookwell.schema.slot_inputs import TableInput
from bookwell.services.listing_terms import NewPriceRule, TermsUpdate
from bookwell.services.listings import ListingFilter as DomainListingFilter
from bookwell.services.listings import NewListing, parse_money
from bookwell.services.slot_units import SlotSettings


@strawberry.input
class ListingFilter:
    city: str | None = None
    country: str | None = None
    kind: ListingKind | None = None
    min_price: str | None = None
    max_price: str | None = None
    min_guests: int | None = None
    text: str | None = strawberry.field(default=None, description="In the title or description.")

    def to_domain(self) -> DomainListingFilter:
        return DomainListingFilter(
            city=self.city,
            country=self.country,
            kind=self.kind,
            min_price=parse_money(self.min_price, "minPrice") if self.min_price else None,
            max_price=parse_money(self.max_price, "maxPrice") if self.max_price else None,
            min_guests=self.min_guests,
            text=self.text,
        )


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str
    role: Role = Role.GUEST


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class CreateListingInput:
    kind: ListingKind = ListingKind.STAY
    title: str
    description: str = ""
    city: str | None = None
    country: str | None = None
    timezone: str = "UTC"
    nightly_price: str
    currency: str = "USD"
    units: int = 1
    max_guests: int | None = None
    slot_minutes: int = strawberry.field(
        default=60, description="Slot listings: minutes between start times (one slot)."
    )
    sitting_minutes: int = strawberry.field(
        default=120, description="Restaurants: how long a table is held."
    )
    opens_at: time | None = strawberry.field(
        default=time(9),
        description="Slot listings: local opening time; null (with closesAt) for all day.",
    )
    closes_at: time | None = strawberry.field(
        default=time(22), description="At or before opensAt: closes on the next day."
    )
    tables: list[TableInput] | None = strawberry.field(
        default=None,
        description="Restaurants: one entry per table; default `units` tables of maxGuests "
        "(or 4) seats.",
    )

    def to_domain(self) -> NewListing:
        return NewListing(
            kind=self.kind,
            title=self.title,
            description=self.description,
            city=self.city,
            country=self.country,
            timezone=self.timezone,
            nightly_price=self.nightly_price,
            currency=self.currency,
            units=self.units,
            max_guests=self.max_guests,
            slots=SlotSettings(
                slot_minutes=self.slot_minutes,
                sitting_minutes=self.sitting_minutes,
                opens_at=self.opens_at,
                closes_at=self.closes_at,
                tables=None if self.tables is None else tuple(t.to_domain() for t in self.tables),
            ),
        )


@strawberry.input
class CreateReservationInput:
    listing_id: strawberry.ID
    start_date: date
    end_date: date | None = strawberry.field(
        default=None, description="Check-out day. Give endDate or nights, not both."
    )
    nights: int | None = None
    quantity: int = 1
    guest_name: str | None = strawberry.field(
        default=None, description="Defaults to the signed-in user's name."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key and input returns the first result again.",
    )


@strawberry.input
class ChangeReservationDatesInput:
    id: strawberry.ID
    start_date: date
    end_date: date | None = strawberry.field(
        default=None, description="Check-out day. Give endDate or nights, not both."
    )
    nights: int | None = None
    quantity: int | None = strawberry.field(default=None, description="Unchanged when null.")


@strawberry.input(description="Listing terms to change; null fields stay as they are.")
class ListingTermsInput:
    nightly_price: str | None = None
    cleaning_fee: str | None = None
    instant_book: bool | None = None
    hold_minutes: int | None = None
    approval_hours: int | None = None
    offer_minutes: int | None = None
    free_cancellation_days: int | None = None
    late_refund_percent: int | None = None

    def to_domain(self) -> TermsUpdate:
        return TermsUpdate(
            nightly_price=_money(self.nightly_price, "nightlyPrice"),
            cleaning_fee=_money(self.cleaning_fee, "cleaningFee"),
            instant_book=self.instant_book,
            hold_minutes=self.hold_minutes,
            approval_hours=self.approval_hours,
            offer_minutes=self.offer_minutes,
            free_cancellation_days=self.free_cancellation_days,
            late_refund_percent=self.late_refund_percent,
        )


@strawberry.input(description="A price for some nights: dates, weekdays, or both.")
class PriceRuleInput:
    listing_id: strawberry.ID
    name: str
    nightly_price: str
    start_date: date | None = None
    end_date: date | None = strawberry.field(
        default=None, description="The first night the rule no longer covers."
    )
    weekdays: list[int] | None = strawberry.field(
        default=None, description="ISO weekdays of the night: 1 = Monday ... 7 = Sunday."
    )

    def to_domain(self) -> NewPriceRule:
        return NewPriceRule(
            name=self.name,
            nightly_price=parse_money(self.nightly_price, "nightlyPrice"),
            start_date=self.start_date,
            end_date=self.end_date,
            weekdays=self.weekdays,
        )


def _money(value: str | None, field: str) -> Decimal | None:
    return None if value is None else parse_money(value, field)
