"""What a slot listing allows and what a slot costs: rules shared by booking and search."""

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Row

from bookwell.core.errors import invalid
from bookwell.models import ListingKind
from bookwell.services.booking.guests import check_guest_count
from bookwell.services.listings.charges import (
    Discount,
    discount_line,
    lines_total,
    tax_lines,
    taxes_from_json,
    taxes_in,
)
from bookwell.services.listings.records import ListingRecord
from bookwell.services.slots.times import Hours, Slot

CENT = Decimal("0.01")


def hours_of(listing: ListingRecord | Row[*tuple[Any, ...]]) -> Hours:
    return Hours(listing.opens_at, listing.closes_at)


def default_minutes(listing: ListingRecord | Row[*tuple[Any, ...]]) -> int:
    """A booking's length when none is given: a restaurant's sitting, else one slot."""
    if listing.kind is ListingKind.RESTAURANT:
        return listing.sitting_minutes
    return listing.slot_minutes


def check_party_size(party_size: int | None) -> None:
    if party_size is not None and party_size < 1:
        raise invalid("partySize", "partySize must be at least 1.")


def check_party(
    listing: ListingRecord | Row[*tuple[Any, ...]],
    party_size: int | None,
    quantity: int,
    largest_table: int,
    guests_field: str = "partySize",
) -> None:
    """A restaurant seats one party at one table (its seats decide, not maxGuests); rooms and
    items take `quantity` units, maxGuests each (TOO_MANY_GUESTS on `guests_field`)."""
    check_party_size(party_size)
    if listing.kind is ListingKind.RESTAURANT:
        if party_size is None:
            raise invalid("partySize", "A table booking needs partySize.")
        if quantity != 1:
            raise invalid("quantity", "A party books one table: quantity must be 1.")
        if party_size > largest_table:
            raise invalid(
                "partySize",
                f"The largest table here seats {largest_table}; "
                f"a party of {party_size} does not fit.",
            )
        return
    if not 1 <= quantity <= listing.units:
        raise invalid("quantity", f"quantity must be between 1 and {listing.units} (the units).")
    check_guest_count(party_size, listing.max_guests, quantity, guests_field)


def slot_persons(party_size: int | None, people: int | None, quantity: int) -> int:
    """Who pays a per-person tax on a slot: the adults and children given, else the party,
    else one person per unit booked (as a stay without guests counts)."""
    if people is not None:
        return people
    return party_size if party_size is not None else quantity


def quote_slot(
    listing: ListingRecord | Row[*tuple[Any, ...]],
    slot: Slot,
    quantity: int,
    zone: ZoneInfo,
    *,
    discount: Discount | None = None,
    persons: int = 1,
) -> tuple[Decimal, dict[str, Any]]:
    """Per sitting for a restaurant; per slot and unit for rooms and items. Then, as for a
    stay (services/listings/pricing.py `quote`), a voucher's discount off the slot's price
    and the listing's taxes (`listing.taxes`, taxes_json; none when the row has no such
    column): a PER_PERSON_NIGHT tax counts a slot booking as one night, so it is per person
    per booking, whatever the booking's length."""
    if listing.kind is ListingKind.RESTAURANT:
        count = 1
    else:
        count = slot.minutes // listing.slot_minutes * quantity
    price = (listing.nightly_price * count).quantize(CENT)
    items: list[dict[str, Any]] = [
        {
            "kind": "SLOT",
            "description": f"{slot.local_start.isoformat(' ', 'minutes')} to "
            f"{slot.local_end.isoformat(' ', 'minutes')} ({zone.key})",
            "startsAt": slot.starts_at.isoformat(),
            "endsAt": slot.ends_at.isoformat(),
            "unitPrice": str(listing.nightly_price),
            "quantity": count,
            "amount": str(price),
        }
    ]
    if discount is not None:
        items.append(discount_line(discount, price))
    taxes = taxes_from_json(getattr(listing, "taxes", None) or ())
    items.extend(
        tax_lines(taxes, taxable=lines_total(items), persons=persons, nights=1, per_booking=True)
    )
    total = lines_total(items)
    snapshot: dict[str, Any] = {
        "currency": listing.currency,
        "timezone": listing.timezone,
        "lineItems": items,
        "total": str(total),
        "taxTotal": str(taxes_in(items)),
        "policy": {
            "freeCancellationDays": listing.free_cancellation_days,
            "lateRefundPercent": listing.late_refund_percent,
            "noShowRefundPercent": listing.no_show_refund_percent,
        },
    }
    if discount is not None:
        snapshot["voucher"] = discount.as_json()
    return total, snapshot
