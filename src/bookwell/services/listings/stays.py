"""Stay ranges: half-open [start, end) of nights, as the booking semantics define them."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, invalid
from bookwell.core.zones import zone_info

MAX_NIGHTS = 365
# Bookings open at most ten years ahead: far enough for any calendar, and it keeps date
# arithmetic far from year 9999.
MAX_DAYS_AHEAD = 10 * 366


@dataclass(frozen=True, slots=True)
class Stay:
    start: date
    end: date

    @property
    def nights(self) -> int:
        return (self.end - self.start).days


def stay(start: date, end: date | None = None, nights: int | None = None) -> Stay:
    """Check a requested range: `end` or `nights` (not both), 1 to 365 nights, not too far ahead."""
    if (end is None) == (nights is None):
        raise DomainError(ErrorCode.INVALID_DATES, "Give either endDate or nights.", "endDate")
    if nights is not None and not 1 <= nights <= MAX_NIGHTS:
        raise DomainError(
            ErrorCode.INVALID_DATES, f"nights must be between 1 and {MAX_NIGHTS}.", "nights"
        )
    if (start - date.today()).days > MAX_DAYS_AHEAD:
        raise DomainError(
            ErrorCode.INVALID_DATES,
            f"Bookings open at most {MAX_DAYS_AHEAD} days ahead.",
            "startDate",
        )
    if end is None:
        assert nights is not None
        end = start + timedelta(days=nights)
    if end <= start:
        raise DomainError(ErrorCode.INVALID_DATES, "endDate must be after startDate.", "endDate")
    if (end - start).days > MAX_NIGHTS:
        raise DomainError(
            ErrorCode.INVALID_DATES, f"A stay has at most {MAX_NIGHTS} nights.", "endDate"
        )
    return Stay(start, end)


def check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise invalid("quantity", "quantity must be at least 1.")


def requested_stay(
    start: date, end: date | None = None, nights: int | None = None, quantity: int | None = None
) -> Stay:
    """`stay`, and the quantity when one is given (at least 1; the listing's units are for
    the caller to check): every mistake at once."""
    found = InputErrors()
    checked = found.check(stay, start, end, nights)
    if quantity is not None:
        found.check(check_quantity, quantity)
    found.raise_if_any()
    assert checked is not None
    return checked


def today_in(timezone: str, now: datetime | None = None) -> date:
    """Today's date where the listing is: the day a stay may start at the earliest."""
    return (now or datetime.now(UTC)).astimezone(zone_info(timezone)).date()


def check_not_past(s: Stay, timezone: str) -> None:
    if s.start < today_in(timezone):
        raise DomainError(
            ErrorCode.INVALID_DATES,
            f"startDate is in the past for this listing (today in {timezone} is "
            f"{today_in(timezone).isoformat()}).",
            "startDate",
        )
