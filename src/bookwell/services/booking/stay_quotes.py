"""What would refuse a stay's booking now, for a quote (Listing.quote) to say so.

They are place_hold's checks that need no write (a start in the past, more units than
the listing has, each booking rule broken, too many guests); whether the units are free is
Listing.availability's question, and a voucher's use is only counted at booking.
"""

from datetime import UTC, datetime

from bookwell.core.errors import DomainError, invalid
from bookwell.services.booking.guests import NO_GUESTS, Guests, check_guest_count
from bookwell.services.listings import booking_rules
from bookwell.services.listings.pricing import ListingTerms
from bookwell.services.listings.stays import Stay, check_not_past


def refusals(
    found: ListingTerms,
    booked: Stay,
    quantity: int,
    *,
    units: int,
    max_guests: int | None,
    guests: Guests = NO_GUESTS,
    now: datetime | None = None,
) -> list[DomainError]:
    """Every reason a booking of `booked` now would be refused, short of its units being
    taken (empty: the host's terms allow it)."""
    terms = found.terms
    now = now or datetime.now(UTC)
    found_errors: list[DomainError] = []
    try:
        check_not_past(booked, terms.timezone)
    except DomainError as error:
        found_errors.append(error)
    if quantity > units:
        found_errors.append(
            invalid("quantity", f"quantity must be between 1 and {units} (the units).")
        )
    broken = booking_rules.violations(
        terms.booking_rules,
        booked.start,
        booked.end,
        now,
        terms.timezone,
        check_in=terms.check_in_time,
    )
    found_errors.extend(violation.error() for violation in broken)
    try:
        check_guest_count(guests.people, max_guests, quantity)
    except DomainError as error:
        found_errors.append(error)
    return found_errors
