"""Where a listing is: street address lines, postal code and a point on the map, checked
the same way when a listing is created and when it is changed."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bookwell.core.errors import InputErrors, check_text, invalid

# Six decimal places: about 0.1 m, more than any map needs.
PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Location:
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None


NO_LOCATION = Location()


def checked_line(value: str | None, field: str, longest: int) -> str | None:
    """A trimmed line of text, None when empty."""
    if value is None:
        return None
    value = check_text(value, field).strip()
    if len(value) > longest:
        raise invalid(field, f"{field} has at most {longest} characters.")
    return value or None


def checked_postal_code(value: str | None) -> str | None:
    code = checked_line(value, "postalCode", 20)
    if code is not None and not all(c.isalnum() or c in " -" for c in code):
        raise invalid("postalCode", "A postal code has letters, digits, spaces and dashes only.")
    return code


def checked_coordinate(value: float | None, field: str, bound: int) -> Decimal | None:
    if value is None:
        return None
    if not -bound <= value <= bound:  # also refuses NaN
        raise invalid(field, f"{field} must be between {-bound} and {bound}.")
    return Decimal(repr(value)).quantize(PLACES)


def location_values(location: Location) -> dict[str, Any]:
    """The listing columns of a location, or every mistake in it at once."""
    found = InputErrors()
    values = {
        "address_line1": found.check(checked_line, location.address_line1, "addressLine1", 200),
        "address_line2": found.check(checked_line, location.address_line2, "addressLine2", 200),
        "postal_code": found.check(checked_postal_code, location.postal_code),
        "latitude": found.check(checked_coordinate, location.latitude, "latitude", 90),
        "longitude": found.check(checked_coordinate, location.longitude, "longitude", 180),
    }
    if (location.latitude is None) != (location.longitude is None):
        found.add(invalid("longitude", "Give both latitude and longitude, or neither."))
    found.raise_if_any()
    return values
