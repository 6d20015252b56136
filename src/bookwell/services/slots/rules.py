"""What a slot listing allows and what a slot costs: rules shared by booking and search."""

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Row

from bookwell.core.errors import invalid
from bookwell.models import ListingKind
from bookwell.services.booking.guests import check_guest_count
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
) -> None:
    """A restaurant seats one party at one table; rooms and items take `quantity` units."""
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
    check_guest_count(party_size, listing.max_guests, quantity, "partySize")


def quote_slot(
    listing: ListingRecord | Row[*tuple[Any, ...]], slot: Slot, quantity: int, zone: ZoneInfo
) -> tuple[Decimal, dict[str, Any]]:
    """Per sitting for a restaurant; per slot and unit for rooms and items."""
    if listing.kind is ListingKind.RESTAURANT:
        count = 1
    else:
        count = slot.minutes // listing.slot_minutes * quantity
    total = (listing.nightly_price * count).quantize(CENT)
    item: dict[str, Any] = {
        "kind": "SLOT",
        "description": f"{slot.local_start.isoformat(' ', 'minutes')} to "
        f"{slot.local_end.isoformat(' ', 'minutes')} ({zone.key})",
        "startsAt": slot.starts_at.isoformat(),
        "endsAt": slot.ends_at.isoformat(),
        "unitPrice": str(listing.nightly_price),
        "quantity": count,
        "amount": str(total),
    }
    snapshot = {
        "currency": listing.currency,
        "timezone": listing.timezone,
        "lineItems": [item],
        "total": str(total),
        "policy": {
            "freeCancellationDays": listing.free_cancellation_days,
            "lateRefundPercent": listing.late_refund_percent,
            "noShowRefundPercent": listing.no_show_refund_percent,
        },
    }
    return total, snapshot
