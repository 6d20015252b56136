"""Inputs of listings: the search filter, a new listing (with a restaurant's tables), its
terms and price rules."""

from datetime import date, time
from decimal import Decimal

import strawberry

from bookwell.core.errors import DomainError, InputErrors, check_text
from bookwell.graphql.listings.booking_rules import BookingRulesInput
from bookwell.graphql.shared.enums import HostNotice, ListingKind
from bookwell.services.listings.listings import ListingFilter as DomainListingFilter
from bookwell.services.listings.listings import NewListing, parse_money
from bookwell.services.listings.location import Location
from bookwell.services.listings.terms import (
    NewPriceRule,
    TermsUpdate,
    check_term_ranges,
    checked_rule_terms,
)
from bookwell.services.listings.units import SlotSettings, TableSpec


@strawberry.input(
    description="Narrows a list of listings: every criterion given must match; null ones are "
    "ignored."
)
class ListingFilter:
    city: str | None = strawberry.field(
        default=None, description="Only listings in this city: its exact name, any case."
    )
    country: str | None = strawberry.field(
        default=None,
        description="Only listings in this country: an ISO 3166 two-letter code, any case.",
    )
    kind: ListingKind | None = strawberry.field(
        default=None, description="Only listings of this kind."
    )
    min_price: str | None = strawberry.field(
        default=None,
        description="Only listings whose base nightlyPrice is at least this decimal string "
        '(e.g. "80.00"), compared in each listing\'s own currency (never converted).',
    )
    max_price: str | None = strawberry.field(
        default=None,
        description="Only listings whose base nightlyPrice is at most this decimal string, "
        "compared in each listing's own currency (never converted).",
    )
    min_guests: int | None = strawberry.field(
        default=None,
        description="Only listings whose maxGuests is at least this; listings without a "
        "maxGuests always match.",
    )
    text: str | None = strawberry.field(
        default=None,
        description="Only listings with this text in the title or description, any case.",
    )
    archived: bool = strawberry.field(
        default=False,
        description="true: only archived listings (a host finding theirs to unarchive); "
        "false (default): only listed ones, as every search shows.",
    )

    def to_domain(self) -> DomainListingFilter:
        """The criteria, or every mistake in them at once."""
        found = InputErrors()
        for field, text in (("city", self.city), ("country", self.country), ("text", self.text)):
            if text is not None:
                found.check(check_text, text, field)
        min_price = found.check(_money, self.min_price or None, "minPrice")
        max_price = found.check(_money, self.max_price or None, "maxPrice")
        found.raise_if_any()
        return DomainListingFilter(
            city=self.city,
            country=self.country,
            kind=self.kind,
            min_price=min_price,
            max_price=max_price,
            min_guests=self.min_guests,
            text=self.text,
            archived=self.archived,
        )


def listing_criteria(filter: ListingFilter | None) -> DomainListingFilter | None:
    """The `filter` argument of a listing search, its mistakes blamed inside it."""
    try:
        return filter.to_domain() if filter else None
    except DomainError as error:
        raise error.under("filter") from None


@strawberry.input(description="A restaurant table.")
class TableInput:
    seats: int = strawberry.field(description="The party it seats, 1 to 1000 people.")
    label: str | None = strawberry.field(
        default=None, description='Default "Table <n>"; no other table\'s (case aside).'
    )

    def to_domain(self) -> TableSpec:
        return TableSpec(seats=self.seats, label=self.label)


@strawberry.input(
    description="A new listing of the signed-in host (HOST or ADMIN). Its terms (holds, fees, "
    "cancellation policy) start at their defaults: change them with updateListingTerms."
)
class CreateListingInput:
    kind: ListingKind = strawberry.field(
        default=ListingKind.STAY,
        description="STAY (default) is booked by the night; the other kinds by time slot.",
    )
    title: str = strawberry.field(description="1 to 200 characters.")
    description: str = strawberry.field(default="", description="At most 10000 characters.")
    city: str | None = strawberry.field(
        default=None, description="The city guests search by, 1 to 120 characters."
    )
    country: str | None = strawberry.field(
        default=None, description="ISO 3166 two-letter code such as FR, any case."
    )
    address_line1: str | None = strawberry.field(
        default=None, description="Street and number, at most 200 characters."
    )
    address_line2: str | None = strawberry.field(
        default=None, description="Building, floor, ..., at most 200 characters."
    )
    postal_code: str | None = strawberry.field(
        default=None, description="At most 20 letters, digits, spaces and dashes."
    )
    latitude: float | None = strawberry.field(
        default=None, description="Degrees north, -90 to 90; give longitude too."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Degrees east, -180 to 180; give latitude too."
    )
    timezone: str = strawberry.field(
        default="UTC",
        description="IANA name such as Europe/Paris: the listing's nights, slots, opening hours "
        'and "today" are in this zone.',
    )
    nightly_price: str = strawberry.field(
        description='Base price in `currency`, a decimal string with at most 2 places ("120.00"):'
        " per night and unit for a STAY, per slot and unit for a SPACE or EQUIPMENT, per "
        "sitting for a RESTAURANT."
    )
    currency: str = strawberry.field(
        default="USD", description="ISO 4217 code of every amount of this listing, such as EUR."
    )
    units: int = strawberry.field(
        default=1,
        description="Identical units (rooms, tables, items) it has, 1 to 10000; with `tables`, "
        "leave it out or give their count.",
    )
    max_guests: int | None = strawberry.field(
        default=None,
        description="Most guests one unit takes, 1 to 1000; null: no limit. A restaurant's "
        "default table size.",
    )
    slot_minutes: int = strawberry.field(
        default=60,
        description="Slot listings: minutes between start times (one slot), 5 to 1440.",
    )
    sitting_minutes: int = strawberry.field(
        default=120, description="Restaurants: how long a table is held, 5 to 1440 minutes."
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
    buffer_before_minutes: int = strawberry.field(
        default=0,
        description="Slot listings: minutes each booking's units stay taken before its start "
        "(0 to 1440), e.g. to prepare a room.",
    )
    buffer_after_minutes: int = strawberry.field(
        default=0,
        description="Slot listings: minutes each booking's units stay taken after its end "
        "(0 to 1440), e.g. to clean a room.",
    )
    booking_rules: BookingRulesInput | None = strawberry.field(
        default=None, description="Its booking rules (as setListingBookingRules); none: none."
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
                buffer_before_minutes=self.buffer_before_minutes,
                buffer_after_minutes=self.buffer_after_minutes,
            ),
            location=Location(
                address_line1=self.address_line1,
                address_line2=self.address_line2,
                postal_code=self.postal_code,
                latitude=self.latitude,
                longitude=self.longitude,
            ),
        )


@strawberry.input(
    description="Listing terms to change; null fields stay as they are. Bookings made before "
    "keep the price and policy they were made with."
)
class ListingTermsInput:
    nightly_price: str | None = strawberry.field(
        default=None,
        description="Base price in the listing's currency, a decimal string with at most 2 "
        "places: per night and unit (slot listings: per slot, or per sitting).",
    )
    cleaning_fee: str | None = strawberry.field(
        default=None,
        description="Fee per unit and stay, a decimal string in the listing's currency.",
    )
    instant_book: bool | None = strawberry.field(
        default=None,
        description="true: payment confirms a booking at once; false: the host confirms each "
        "paid booking.",
    )
    hold_minutes: int | None = strawberry.field(
        default=None,
        description="How long a new booking holds its units unpaid, 1 to 10080 minutes.",
    )
    approval_hours: int | None = strawberry.field(
        default=None,
        description="Without instant booking: hours the host has to confirm a paid booking, "
        "1 to 720.",
    )
    offer_minutes: int | None = strawberry.field(
        default=None,
        description="How long a waitlist offer holds its units for the guest, 1 to 10080 minutes.",
    )
    free_cancellation_days: int | None = strawberry.field(
        default=None,
        description="Cancelling at least this many days before check-in refunds everything, "
        "0 to 365.",
    )
    late_refund_percent: int | None = strawberry.field(
        default=None,
        description="Share of the nights' price refunded for a later cancellation, 0 to 100.",
    )
    no_show_refund_percent: int | None = strawberry.field(
        default=None,
        description="Share of the price a no-show gets back, 0 to 100 (default 0); bookings "
        "keep the share they were made with.",
    )
    max_hold_nights: int | None = strawberry.field(
        default=None,
        description="Most nights one unpaid hold may take, 1 to 365 (default 30): a longer stay "
        "is refused HOLD_LIMIT until you raise it.",
    )
    max_hold_units: int | None = strawberry.field(
        default=None,
        description="Most units one unpaid hold may take, 1 to 10000 (default 2).",
    )
    max_guest_holds: int | None = strawberry.field(
        default=None,
        description="Most unpaid holds one guest may have on the listing at once, 1 to 100 "
        "(default 2).",
    )
    max_listing_holds: int | None = strawberry.field(
        default=None,
        description="Most unpaid holds all guests together may have on the listing at once, 1 "
        "to 10000 (default 10).",
    )
    allow_guest_checkout: bool | None = strawberry.field(
        default=None,
        description="Guests may book without an account, with a name and an email "
        "(createReservation without a token); they manage the booking through an emailed "
        "link. Off by default.",
    )
    notify_host_on_check_in: HostNotice | None = strawberry.field(
        default=None,
        description="Whether you get a copy of the guest's email when a booking becomes ACTIVE "
        "(checked in): default WHEN_AUTOMATIC.",
    )
    notify_host_on_no_show: HostNotice | None = strawberry.field(
        default=None,
        description="Whether you get a copy of the guest's email when a booking is marked "
        "NO_SHOW: default WHEN_AUTOMATIC.",
    )

    def to_domain(self) -> TermsUpdate:
        """The changes, or every mistake in them at once."""
        found = InputErrors()
        changes = TermsUpdate(
            nightly_price=found.check(_money, self.nightly_price, "nightlyPrice"),
            cleaning_fee=found.check(_money, self.cleaning_fee, "cleaningFee"),
            instant_book=self.instant_book,
            hold_minutes=self.hold_minutes,
            approval_hours=self.approval_hours,
            offer_minutes=self.offer_minutes,
            free_cancellation_days=self.free_cancellation_days,
            late_refund_percent=self.late_refund_percent,
            no_show_refund_percent=self.no_show_refund_percent,
            max_hold_nights=self.max_hold_nights,
            max_hold_units=self.max_hold_units,
            max_guest_holds=self.max_guest_holds,
            max_listing_holds=self.max_listing_holds,
            allow_guest_checkout=self.allow_guest_checkout,
            notify_host_on_check_in=self.notify_host_on_check_in,
            notify_host_on_no_show=self.notify_host_on_no_show,
        )
        found.check(check_term_ranges, changes)
        found.raise_if_any()
        return changes


@strawberry.input(
    description="A price for some nights of a STAY listing: dates, weekdays, or both (slot "
    "prices ignore rules). The newest matching rule wins; a listing has at most 100."
)
class PriceRuleInput:
    listing_id: strawberry.ID = strawberry.field(description="Your listing that the rule prices.")
    name: str = strawberry.field(
        description='1 to 100 characters, such as "Summer"; shown on the line items it prices.'
    )
    nightly_price: str = strawberry.field(
        description="The price of each night it covers, per unit: a decimal string with at most "
        "2 places, in the listing's currency."
    )
    start_date: date | None = strawberry.field(
        default=None, description="The first night the rule covers; null: no start."
    )
    end_date: date | None = strawberry.field(
        default=None, description="The first night the rule no longer covers."
    )
    weekdays: list[int] | None = strawberry.field(
        default=None, description="ISO weekdays of the night: 1 = Monday ... 7 = Sunday."
    )

    def to_domain(self) -> NewPriceRule:
        """The rule, or every mistake in it at once (the listing's own limits come later)."""
        found = InputErrors()
        found.check(
            checked_rule_terms,
            name=self.name,
            start_date=self.start_date,
            end_date=self.end_date,
            weekdays=self.weekdays,
        )
        nightly_price = found.check(parse_money, self.nightly_price, "nightlyPrice")
        found.raise_if_any()
        assert nightly_price is not None
        return NewPriceRule(
            name=self.name,
            nightly_price=nightly_price,
            start_date=self.start_date,
            end_date=self.end_date,
            weekdays=self.weekdays,
        )


def _money(value: str | None, field: str) -> Decimal | None:
    return None if value is None else parse_money(value, field)
