"""Who comes on a booking: adults and children (a slot: its party size), within the listing's
maxGuests per unit times the units booked; and what they ask the host, as free text.

Special requests are plain text of at most MAX_SPECIAL_REQUESTS characters: emails escape
them in HTML (mail/render.py, autoescape) and exports write them as data, never markup.
"""

from dataclasses import dataclass
from typing import Any

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, check_text, invalid

MAX_SPECIAL_REQUESTS = 2000
MAX_PEOPLE = 1000


@dataclass(frozen=True, slots=True)
class Guests:
    adults: int | None = None
    children: int | None = None
    special_requests: str | None = None

    @property
    def people(self) -> int | None:
        return None if self.adults is None else self.adults + (self.children or 0)

    def columns(self) -> dict[str, Any]:
        return {
            "adults": self.adults,
            "children": self.children,
            "special_requests": self.special_requests,
        }

    def fingerprint(self) -> dict[str, Any]:
        """For an idempotency key's input: only what was given, so keys claimed before
        guests existed still match their requests."""
        return {key: value for key, value in self.columns().items() if value is not None}


NO_GUESTS = Guests()


def checked_special_requests(text: str | None) -> str | None:
    """Stripped (None when empty), or INVALID_INPUT past the length (or with a NUL)."""
    if text is None:
        return None
    text = check_text(text, "specialRequests").strip()
    if len(text) > MAX_SPECIAL_REQUESTS:
        raise invalid(
            "specialRequests",
            f"specialRequests has at most {MAX_SPECIAL_REQUESTS} characters ({len(text)} sent).",
        )
    return text or None


def checked_guests(
    adults: int | None, children: int | None, special_requests: str | None
) -> Guests:
    """Every mistake at once; the listing's maxGuests is checked with the listing."""
    found = InputErrors()
    if adults is not None and not 1 <= adults <= MAX_PEOPLE:
        found.add(invalid("adults", f"adults must be between 1 and {MAX_PEOPLE}."))
    if children is not None and not 0 <= children <= MAX_PEOPLE:
        found.add(invalid("children", f"children must be between 0 and {MAX_PEOPLE}."))
    if children is not None and adults is None:
        found.add(invalid("adults", "Give the number of adults with the children."))
    requests = found.check(checked_special_requests, special_requests)
    found.raise_if_any()
    return Guests(adults, children, requests)


def check_guest_count(
    people: int | None, max_guests: int | None, quantity: int, field: str = "adults"
) -> None:
    """TOO_MANY_GUESTS when `people` pass maxGuests per unit times the units booked."""
    if people is None or max_guests is None:
        return
    limit = max_guests * quantity
    if people > limit:
        raise DomainError(
            ErrorCode.TOO_MANY_GUESTS,
            f"{people} guests do not fit: {quantity} unit(s) here take at most {limit} "
            f"(the listing's maxGuests is {max_guests} per unit).",
            field,
        )


def slot_party(party_size: int | None, guests: Guests) -> int | None:
    """A slot booking's party: partySize, or adults + children when only they are given;
    both given, they must agree (INVALID_INPUT). partySize alone leaves adults unknown."""
    people = guests.people
    if people is None:
        return party_size
    if party_size is not None and party_size != people:
        raise invalid(
            "partySize",
            f"partySize ({party_size}) must equal adults + children ({people}) when both "
            "are given.",
        )
    return people
