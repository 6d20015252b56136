"""What a slot booking would cost now, and each reason bookSlot would refuse it, without
holding anything (Listing.slotQuote).

Priced by rules.py `quote_slot`, the function bookSlot's `take_units` prices with, from the
same listing columns (its taxes) and the same persons. The refusals are bookSlot's checks
that need no write: the grid and the opening hours, a start in the past or too far ahead,
each booking rule broken, the party (tables, units, maxGuests). Whether units are still free
is searchSlots' question, and a voucher's use is only counted at booking.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, invalid, not_found
from bookwell.core.zones import zone_info
from bookwell.models import Listing, ListingKind, ListingUnit
from bookwell.services.booking.guests import checked_guests, slot_party
from bookwell.services.listings import booking_rules
from bookwell.services.listings.booking_rules_store import rules_json
from bookwell.services.listings.pricing import archived_error, taxes_json
from bookwell.services.listings.stays import check_quantity
from bookwell.services.slots.rules import (
    check_party,
    check_party_size,
    default_minutes,
    hours_of,
    quote_slot,
    slot_persons,
)
from bookwell.services.slots.times import Slot, check_bookable_now, requested_slot
from bookwell.services.vouchers.redeem import preview


@dataclass(frozen=True, slots=True)
class SlotQuoteRequest:
    listing_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime | None = None
    party_size: int | None = None
    quantity: int = 1
    adults: int | None = None
    children: int | None = None
    voucher_code: str | None = None


@dataclass(frozen=True, slots=True)
class SlotQuote:
    snapshot: dict[str, Any]  # as a booking's price_snapshot
    refusals: list[DomainError]


def _listing(listing_id: uuid.UUID) -> Any:
    """The listing's columns with what bookSlot reads beside them (services/slots/slots.py)."""
    largest = select(func.max(ListingUnit.seats)).where(ListingUnit.listing_id == listing_id)
    return select(
        *Listing.__table__.c,
        largest.scalar_subquery().label("largest_table"),
        rules_json(Listing.id).label("booking_rules"),
        taxes_json(Listing.id).label("taxes"),
    ).where(Listing.id == listing_id)


def _dates_error(message: str, field: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_DATES, message, field)


def _as_asked(asked: SlotQuoteRequest, listing: Row[*tuple[Any, ...]], zone: ZoneInfo) -> Slot:
    """The window asked for as it stands, off the grid or not, to price it anyway (the grid
    and hours are refusals); INVALID_DATES only when it cannot be priced at all."""
    for moment, field in ((asked.starts_at, "startsAt"), (asked.ends_at, "endsAt")):
        if moment is not None and moment.tzinfo is None:
            raise _dates_error(
                "Give a time with its UTC offset, e.g. 2031-03-30T19:00:00+02:00.", field
            )
    local_start = asked.starts_at.astimezone(zone).replace(tzinfo=None)
    if asked.ends_at is None:
        local_end = local_start + timedelta(minutes=default_minutes(listing))
        ends_at = asked.starts_at + timedelta(minutes=default_minutes(listing))
    else:
        local_end = asked.ends_at.astimezone(zone).replace(tzinfo=None)
        ends_at = asked.ends_at
    if ends_at <= asked.starts_at:
        raise _dates_error("endsAt must be after startsAt.", "endsAt")
    return Slot(asked.starts_at.astimezone(UTC), ends_at.astimezone(UTC), local_start, local_end)


def _check_input(asked: SlotQuoteRequest) -> int | None:
    """bookSlot's checks that need no listing, every mistake at once; the party."""
    found = InputErrors()
    found.check(check_party_size, asked.party_size)
    found.check(check_quantity, asked.quantity)
    guests = found.check(checked_guests, asked.adults, asked.children, None)
    party = None if guests is None else found.check(slot_party, asked.party_size, guests)
    found.raise_if_any()
    return party


async def quote_slot_booking(
    *, session: AsyncSession, asked: SlotQuoteRequest, now: datetime | None = None
) -> SlotQuote:
    """The price bookSlot would give `asked` now, with each reason it would refuse it (empty:
    the listing's terms allow it). NOT_FOUND, INVALID_INPUT for a STAY listing or bad input,
    VOUCHER_* for a code that does not apply: raised, as bookSlot raises them."""
    party = _check_input(asked)
    listing = (await session.execute(_listing(asked.listing_id))).one_or_none()
    if listing is None:
        raise not_found("listing", "listingId")
    if listing.kind is ListingKind.STAY:
        raise invalid("listingId", "A STAY listing books nights: use quote.")
    if listing.archived_at is not None:
        raise archived_error()
    zone = zone_info(listing.timezone)
    now = now or datetime.now(UTC)
    refusals = InputErrors()
    slot = refusals.check(
        requested_slot,
        starts_at=asked.starts_at,
        ends_at=asked.ends_at,
        zone=zone,
        hours=hours_of(listing),
        step_minutes=listing.slot_minutes,
        default_minutes=default_minutes(listing),
    )
    if slot is None:
        slot = _as_asked(asked, listing, zone)
    refusals.check(check_bookable_now, slot, now)
    rules = booking_rules.booking_rules_from_json(listing.booking_rules)
    broken = booking_rules.violations(rules, slot.starts_at, slot.ends_at, now, listing.timezone)
    for violation in broken:
        refusals.add(violation.error())
    guests_field = "partySize" if asked.party_size is not None else "adults"
    refusals.check(
        check_party, listing, party, asked.quantity, listing.largest_table or 0, guests_field
    )
    discount = (
        None
        if asked.voucher_code is None
        else await preview(session=session, listing_id=listing.id, code=asked.voucher_code)
    )
    people = None if asked.adults is None else asked.adults + (asked.children or 0)
    persons = slot_persons(party, people, asked.quantity)
    _total, snapshot = quote_slot(
        listing, slot, asked.quantity, zone, discount=discount, persons=persons
    )
    error = refusals.as_error()
    return SlotQuote(snapshot, [] if error is None else list(error.errors))
