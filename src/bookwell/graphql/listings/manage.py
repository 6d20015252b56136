"""The host's management of a listing: change any field (updateListing), archive and
unarchive it, delete one never booked, and the photo mutations that answer the listing."""

from datetime import time
from typing import Annotated, Any

import strawberry
from strawberry.types.unset import UnsetType

from bookwell.core.errors import DomainError, InputErrors
from bookwell.core.ids import global_id
from bookwell.core.storage import photo_storage
from bookwell.flows import listings as listing_flows
from bookwell.graphql.context import Info
from bookwell.graphql.listings import photos
from bookwell.graphql.listings.booking_rules import BookingRulesInput, checked_booking_rules
from bookwell.graphql.listings.inputs import ListingTermsInput
from bookwell.graphql.listings.types import Listing, ListingPayload
from bookwell.graphql.shared.common import errors_as_data, parse_id, require_principal
from bookwell.graphql.shared.errors import ArgumentPaths, UserError, user_errors
from bookwell.services.listings.changes import (
    KEEP,
    NOT_COLUMNS,
    ListingChanges,
    checked_fields,
)
from bookwell.services.listings.terms import TermsUpdate
from bookwell.services.listings.timezones import PYTHON_TIMEZONES
from bookwell.services.listings.unit_changes import UnitChange

# updateListing(id:, input:)
UPDATE = ArgumentPaths(input="input", arguments=frozenset({"id"}))
UNSET: Any = strawberry.UNSET


@strawberry.input(
    description="One unit of a slot listing in updateListing's slotUnits: an existing one "
    "named by id (kept; label and seats change when given) or, without an id, a new one."
)
class SlotUnitInput:
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The ListingUnit to keep (its id or databaseId); null: add a new unit.",
    )
    label: str | None = strawberry.field(
        default=None,
        description="Its name, no other unit's (case aside); null keeps it (a new unit: "
        '"Table <n>", "Room <n>", "Item <n>", the next number not taken).',
    )
    seats: int | None = strawberry.field(
        default=None,
        description="Restaurants only: the party the table seats, 1 to 1000 (required for a "
        "new table; null keeps it). Lowering it below a party booked from now on is refused.",
    )

    def to_domain(self) -> UnitChange:
        unit_id = None
        if self.id is not None:
            unit_id = parse_id(self.id, "unit", "id", type_name="ListingUnit")
        return UnitChange(id=unit_id, label=self.label, seats=self.seats)


def checked_slot_units(units: list[SlotUnitInput] | None) -> tuple[UnitChange, ...] | None:
    """Each unit's id parsed; an id that names nothing blames its entry."""
    if units is None:
        return None
    found = InputErrors()
    changes = []
    for index, unit in enumerate(units):
        try:
            changes.append(unit.to_domain())
        except DomainError as error:
            found.add(error.under("slotUnits", str(index)))
    found.raise_if_any()
    return tuple(changes)


@strawberry.input(
    description="The fields of a listing to change. A field left out stays as it is; null "
    "clears one that may be empty (city, country, address, coordinates, maxGuests, opening "
    "hours). The kind never changes. Rules while bookings exist: units of a STAY may not "
    "drop below what is booked on any night from today (UNITS_IN_USE names the nights); a "
    "slot listing's units (its tables, rooms, items) change through slotUnits, none removed "
    "nor a table shrunk under a booking from now on (UNITS_IN_USE names the bookings); "
    "timezone and currency change only while no booking holds units (HAS_BOOKINGS); prices "
    "and policies apply to bookings made afterwards, each booking keeping the price it was "
    "made with."
)
class UpdateListingInput:
    title: str | None = strawberry.field(default=UNSET, description="1 to 200 characters.")
    description: str | None = strawberry.field(
        default=UNSET, description="At most 10000 characters."
    )
    city: str | None = strawberry.field(default=UNSET, description="1 to 120 characters.")
    country: str | None = strawberry.field(
        default=UNSET, description="ISO 3166 two-letter code such as FR."
    )
    address_line1: str | None = strawberry.field(
        default=UNSET, description="Street and number, at most 200 characters."
    )
    address_line2: str | None = strawberry.field(
        default=UNSET, description="Building, floor, ..., at most 200 characters."
    )
    postal_code: str | None = strawberry.field(
        default=UNSET, description="At most 20 letters, digits, spaces and dashes."
    )
    latitude: float | None = strawberry.field(
        default=UNSET, description="Degrees north, -90 to 90 (with longitude, or both null)."
    )
    longitude: float | None = strawberry.field(
        default=UNSET, description="Degrees east, -180 to 180 (with latitude, or both null)."
    )
    timezone: str | None = strawberry.field(
        default=UNSET, description="IANA name; only while no booking holds units."
    )
    nightly_price: str | None = strawberry.field(
        default=UNSET, description="Base price, a decimal string with at most 2 places."
    )
    currency: str | None = strawberry.field(
        default=UNSET,
        description="ISO 4217 code; only while no booking holds units. Amounts (base price, "
        "fees, price rules) are not converted.",
    )
    units: int | None = strawberry.field(
        default=UNSET, description="STAY listings: 1 to 10000, at least what is booked."
    )
    max_guests: int | None = strawberry.field(
        default=UNSET, description="Most guests one unit takes, 1 to 1000; null: no limit."
    )
    slot_minutes: int | None = strawberry.field(
        default=UNSET, description="Slot listings: minutes between start times, 5 to 1440."
    )
    sitting_minutes: int | None = strawberry.field(
        default=UNSET, description="Restaurants: how long a table is held, 5 to 1440 minutes."
    )
    opens_at: time | None = strawberry.field(
        default=UNSET, description="Slot listings: local opening time (null with closesAt)."
    )
    closes_at: time | None = strawberry.field(
        default=UNSET, description="Local closing time (null with opensAt: open all day)."
    )
    buffer_before_minutes: int | None = strawberry.field(
        default=UNSET,
        description="Slot listings: minutes units stay taken before each booking, 0 to 1440; "
        "applies to bookings made afterwards (each keeps the buffers it was made with).",
    )
    buffer_after_minutes: int | None = strawberry.field(
        default=UNSET,
        description="Slot listings: minutes units stay taken after each booking, 0 to 1440; "
        "applies to bookings made afterwards.",
    )
    terms: ListingTermsInput | None = strawberry.field(
        default=None, description="Prices, fees, holds and policies, as updateListingTerms."
    )
    booking_rules: BookingRulesInput | None = strawberry.field(
        default=None,
        description="Replaces the listing's own booking rules, as setListingBookingRules.",
    )
    slot_units: list[SlotUnitInput] | None = strawberry.field(
        default=None,
        description="Slot listings: the whole list of tables, rooms or items (at most 500), "
        "in the order they are offered. Name a unit by id to keep it, leave the id out to "
        "add one; a unit left out is removed (its past bookings still name it). Refused "
        "(UNITS_IN_USE, naming the bookings) when a unit removed, or a table given fewer "
        "seats than a party it holds, is booked from now on.",
    )

    def checked_terms(self) -> TermsUpdate | None:
        """The terms to change, or their mistakes under `terms`."""
        try:
            return None if self.terms is None else self.terms.to_domain()
        except DomainError as error:
            raise error.under("terms") from None

    def to_domain(
        self, terms: TermsUpdate | None, units: tuple[UnitChange, ...] | None = None
    ) -> ListingChanges:
        """The changes (left-out fields kept), with `terms` and `units` checked already."""
        names = [name for name in ListingChanges.__dataclass_fields__ if name not in NOT_COLUMNS]
        given = {
            name: KEEP if isinstance(getattr(self, name), UnsetType) else getattr(self, name)
            for name in names
        }
        return ListingChanges(**given, terms=terms, slot_units=units)


async def update_listing(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="Your listing to change.")],
    input: Annotated[UpdateListingInput, strawberry.argument(description="What to change.")],
) -> ListingPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_id = found.check(parse_id, id, "listing")
    changes = input.to_domain(
        found.check(input.checked_terms), found.check(checked_slot_units, input.slot_units)
    )
    rules = found.check(checked_booking_rules, input.booking_rules)
    found.check(checked_fields, changes, PYTHON_TIMEZONES)
    if (error := found.as_error()) is not None:
        return ListingPayload(errors=user_errors(error, UPDATE))
    assert listing_id is not None and changes is not None
    row, errors = await errors_as_data(
        listing_flows.update_listing(
            info.context.db,
            principal=principal,
            listing_id=listing_id,
            wanted=changes,
            booking_rules=rules,
        ),
        UPDATE,
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)


async def _set_archived(info: Info, id: str, archived: bool) -> ListingPayload:
    principal = require_principal(info)
    try:
        listing_id = parse_id(id, "listing")
    except DomainError as error:
        return ListingPayload(errors=user_errors(error))
    row, errors = await errors_as_data(
        listing_flows.set_archived(
            info.context.db, principal=principal, listing_id=listing_id, archived=archived
        )
    )
    return ListingPayload(listing=Listing.from_row(row) if row else None, errors=errors)


ListingId = Annotated[strawberry.ID, strawberry.argument(description="Your listing.")]


async def archive_listing(info: Info, id: ListingId) -> ListingPayload:
    return await _set_archived(info, id, True)


async def unarchive_listing(info: Info, id: ListingId) -> ListingPayload:
    return await _set_archived(info, id, False)


@strawberry.type(description="What deleteListing answers: the id deleted, or why not.")
class DeleteListingPayload:
    deleted_listing_id: strawberry.ID | None = strawberry.field(
        default=None, description="The (global) id of the listing that is gone; null on errors."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was deleted; empty on success."
    )


async def delete_listing(info: Info, id: ListingId) -> DeleteListingPayload:
    principal = require_principal(info)
    try:
        listing_id = parse_id(id, "listing")
    except DomainError as error:
        return DeleteListingPayload(errors=user_errors(error))
    deleted, errors = await errors_as_data(
        listing_flows.delete_listing(
            info.context.db,
            principal=principal,
            listing_id=listing_id,
            storage=photo_storage(info.context.settings),
        )
    )
    gone = global_id("Listing", deleted) if deleted else None
    return DeleteListingPayload(deleted_listing_id=gone, errors=errors)


async def _listing_payload(info: Info, listing_id: Any, errors: list[UserError]) -> ListingPayload:
    if errors or listing_id is None:
        return ListingPayload(errors=errors)
    info.context.loaders.listing.clear(listing_id)
    row = await info.context.loaders.listing.load(listing_id)
    return ListingPayload(listing=Listing.from_row(row) if row else None)


async def reorder_listing_photos(
    info: Info,
    listing_id: photos.ListingIdArgument,
    photo_ids: photos.PhotoIdsArgument,
) -> ListingPayload:
    errors = await photos.reorder_listing_photos(info, listing_id, photo_ids)
    parsed = None if errors else parse_id(listing_id, "listing", "listingId")
    return await _listing_payload(info, parsed, errors)


async def remove_listing_photo(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The photo.")]
) -> ListingPayload:
    listing_id, errors = await photos.remove_listing_photo(info, id)
    return await _listing_payload(info, listing_id, errors)
