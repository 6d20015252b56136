"""updateListing: a host changes any field they set on a listing, under the rules that keep
its bookings true.

- kind never changes (a stay's nights and a slot listing's units are different things);
- units of a STAY may drop only to what is booked on every night from today: the capacity
  CHECK on listing_nights refuses less, and the answer names the nights (UNITS_IN_USE). A slot
  listing's units are its tables, rooms or items, fixed at creation here;
- timezone and currency change only while no booking holds units (HAS_BOOKINGS): a booking's
  nights and amounts are read in them;
- prices, fees and policies apply to bookings made afterwards: each booking keeps the
  snapshot it was made with (pricing.py); so do a slot listing's buffers: each booking's
  units keep the buffers they were taken with (services/slots/buffers.py).
"""

import uuid
from dataclasses import dataclass, fields
from datetime import time
from typing import Any, Final

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, invalid
from bookwell.models import (
    CAPACITY_CONSTRAINT,
    HOLDING_STATUSES,
    Listing,
    ListingKind,
    ListingNight,
    Reservation,
)
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings import listings as rules
from bookwell.services.listings.location import (
    checked_coordinate,
    checked_line,
    checked_postal_code,
)
from bookwell.services.listings.ownership import locked_listing
from bookwell.services.listings.records import LISTING_COLUMNS, ListingRecord
from bookwell.services.listings.stays import today_in
from bookwell.services.listings.terms import TermsUpdate, check_term_ranges
from bookwell.services.listings.timezones import known_timezones
from bookwell.services.listings.unit_changes import UnitChange, check_unit_list, set_units
from bookwell.services.listings.units import SlotSettings, listing_values

NAMED_NIGHTS = 10


class Keep:
    """A field left as it is (None, by contrast, clears a field that may be empty)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep()


@dataclass(frozen=True, slots=True)
class ListingChanges:
    title: str | Keep | None = KEEP
    description: str | Keep | None = KEEP
    city: str | Keep | None = KEEP
    country: str | Keep | None = KEEP
    address_line1: str | Keep | None = KEEP
    address_line2: str | Keep | None = KEEP
    postal_code: str | Keep | None = KEEP
    latitude: float | Keep | None = KEEP
    longitude: float | Keep | None = KEEP
    timezone: str | Keep | None = KEEP
    nightly_price: str | Keep | None = KEEP
    currency: str | Keep | None = KEEP
    units: int | Keep | None = KEEP
    max_guests: int | Keep | None = KEEP
    slot_minutes: int | Keep | None = KEEP
    sitting_minutes: int | Keep | None = KEEP
    opens_at: time | Keep | None = KEEP
    closes_at: time | Keep | None = KEEP
    buffer_before_minutes: int | Keep | None = KEEP
    buffer_after_minutes: int | Keep | None = KEEP
    terms: TermsUpdate | None = None
    # A slot listing's whole list of units (None: kept as they are).
    slot_units: tuple[UnitChange, ...] | None = None

    def given(self) -> dict[str, Any]:
        """The fields to change (terms and units aside), by column name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in NOT_COLUMNS and not isinstance(getattr(self, f.name), Keep)
        }


NOT_COLUMNS = frozenset({"terms", "slot_units"})


# Columns that are never empty: null in an update is a mistake, not "clear it".
REQUIRED = frozenset(
    {"title", "description", "timezone", "nightly_price", "currency", "units"}
    | {"slot_minutes", "sitting_minutes", "buffer_before_minutes", "buffer_after_minutes"}
)
SLOT_FIELDS = (
    "slot_minutes",
    "sitting_minutes",
    "opens_at",
    "closes_at",
    "buffer_before_minutes",
    "buffer_after_minutes",
)
_CHECKS: dict[str, Any] = {
    "title": rules.checked_title,
    "city": rules.checked_city,
    "country": rules.checked_country,
    "currency": rules.checked_currency,
    "address_line1": lambda value: checked_line(value, "addressLine1", 200),
    "address_line2": lambda value: checked_line(value, "addressLine2", 200),
    "postal_code": checked_postal_code,
    "latitude": lambda value: checked_coordinate(value, "latitude", 90),
    "longitude": lambda value: checked_coordinate(value, "longitude", 180),
    "nightly_price": lambda value: rules.parse_money(value, "nightlyPrice"),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def checked_changes(changes: ListingChanges, timezones: frozenset[str]) -> dict[str, Any]:
    """The columns to write, each checked on its own: every mistake at once. Checks that
    need the listing as it is (opening hours, coordinates in pairs) come later."""
    values = checked_fields(changes, timezones)
    if changes.terms is not None:
        check_term_ranges(changes.terms)
        terms = {f.name: getattr(changes.terms, f.name) for f in fields(changes.terms)}
        values |= {name: value for name, value in terms.items() if value is not None}
    if not values and changes.slot_units is None:
        raise invalid((), "Nothing to change.")
    return values


def checked_fields(changes: ListingChanges, timezones: frozenset[str]) -> dict[str, Any]:
    """checked_changes without the terms: what a resolver can check with no database
    (`timezones`: PYTHON_TIMEZONES there, the names PostgreSQL knows too later)."""
    found = InputErrors()
    values: dict[str, Any] = {}
    for name, value in changes.given().items():
        if value is None and name in REQUIRED:
            found.add(invalid(_camel(name), f"{_camel(name)} cannot be null."))
        elif name in _CHECKS:
            values[name] = found.check(_CHECKS[name], value)
        else:
            values[name] = value
    if isinstance(description := values.get("description"), str):
        found.check(rules.check_description, description)
    if isinstance(zone := values.get("timezone"), str):
        found.check(rules.check_timezone_name, zone, timezones)
    if isinstance(units := values.get("units"), int):
        found.check(rules.check_units, units)
    if isinstance(max_guests := values.get("max_guests"), int):
        found.check(rules.check_max_guests, max_guests)
    if changes.slot_units is not None:
        found.check(check_unit_list, changes.slot_units, rules.MAX_UNITS)
    found.raise_if_any()
    return values


async def update_listing(
    *,
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    changes: ListingChanges,
) -> ListingRecord:
    values = checked_changes(changes, await known_timezones(session=session))
    listing = await locked_listing(session=session, principal=principal, listing_id=listing_id)
    _check_against(listing, values)
    if changes.slot_units is not None:
        values["units"] = await set_units(
            session=session, listing=listing, units=changes.slot_units
        )
    if _changes(listing, values, "timezone") or _changes(listing, values, "currency"):
        await _check_no_bookings(session=session, listing=listing, values=values)
    new_units = values.get("units", listing.units)
    if listing.kind is ListingKind.STAY and new_units < listing.units:
        await _check_units_free(session=session, listing=listing, units=new_units)
    stmt = (
        update(Listing).where(Listing.id == listing_id).values(**values).returning(*LISTING_COLUMNS)
    )
    updated = ListingRecord(*(await session.execute(stmt)).one())
    if listing.kind is ListingKind.STAY and new_units != listing.units:
        await _set_night_units(session=session, listing=updated)
    return updated


def _changes(listing: ListingRecord, values: dict[str, Any], name: str) -> bool:
    return name in values and values[name] != getattr(listing, name)


def _check_against(listing: ListingRecord, values: dict[str, Any]) -> None:
    """What only makes sense with the rest of the listing: a slot listing's units, opening
    hours against slot lengths, coordinates in pairs."""
    found = InputErrors()
    if listing.kind is not ListingKind.STAY and _changes(listing, values, "units"):
        found.add(
            invalid(
                "units",
                f"A {listing.kind.value} listing's units are its tables, rooms or items: "
                "change them with slotUnits.",
            )
        )
    if any(name in values for name in SLOT_FIELDS):
        merged = {name: values.get(name, getattr(listing, name)) for name in SLOT_FIELDS}
        settings = SlotSettings(**merged)
        found.check(listing_values, listing.kind, listing.units, settings, rules.MAX_UNITS)
    latitude = values.get("latitude", listing.latitude)
    longitude = values.get("longitude", listing.longitude)
    if ("latitude" in values or "longitude" in values) and (latitude is None) != (
        longitude is None
    ):
        found.add(invalid("longitude", "Give both latitude and longitude, or neither."))
    found.raise_if_any()


async def _check_no_bookings(
    *, session: AsyncSession, listing: ListingRecord, values: dict[str, Any]
) -> None:
    holding = exists().where(
        Reservation.listing_id == listing.id, Reservation.status.in_(HOLDING_STATUSES)
    )
    if await session.scalar(select(holding)):
        field = "timezone" if _changes(listing, values, "timezone") else "currency"
        raise DomainError(
            ErrorCode.HAS_BOOKINGS,
            f"The {field} cannot change while bookings hold units here: their nights and "
            "amounts are read in it. Change it when they are over or cancelled.",
            field,
        )


async def _check_units_free(*, session: AsyncSession, listing: ListingRecord, units: int) -> None:
    """UNITS_IN_USE naming the first nights (from today) booked beyond `units`."""
    stmt = (
        select(ListingNight.night, ListingNight.booked)
        .where(
            ListingNight.listing_id == listing.id,
            ListingNight.night >= today_in(listing.timezone),
            ListingNight.booked > units,
        )
        .order_by(ListingNight.night)
        .limit(NAMED_NIGHTS + 1)
    )
    busy = (await session.execute(stmt)).all()
    if busy:
        raise _units_in_use(units, [(row.night.isoformat(), row.booked) for row in busy])


def _units_in_use(units: int, nights: list[tuple[str, int]]) -> DomainError:
    named = ", ".join(f"{night} ({booked} booked)" for night, booked in nights[:NAMED_NIGHTS])
    more = " and more" if len(nights) > NAMED_NIGHTS else ""
    return DomainError(
        ErrorCode.UNITS_IN_USE,
        f"Cannot drop to {units} unit(s): more are booked on {named}{more}.",
        "units",
    )


async def _set_night_units(*, session: AsyncSession, listing: ListingRecord) -> None:
    """The inventory rows from today take the new count; the capacity CHECK refuses a
    night booked beyond it (a safety net: _check_units_free answered first)."""
    stmt = (
        update(ListingNight)
        .where(
            ListingNight.listing_id == listing.id,
            ListingNight.night >= today_in(listing.timezone),
        )
        .values(units=listing.units)
    )
    try:
        async with session.begin_nested():
            await session.execute(stmt)
    except IntegrityError as error:
        if CAPACITY_CONSTRAINT in str(error.orig):
            raise _units_in_use(listing.units, []) from None
        raise
