"""What a cancellation answers, and the reason a guest or host may give for it."""

from dataclasses import dataclass
from datetime import date

from bookwell.core.errors import check_text, invalid
from bookwell.services.booking.records import ReservationRecord

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Cancellation:
    reservation: ReservationRecord
    # The host (or an admin) cancelled a guest's reservation: the guest gets everything back.
    by_host: bool
    today: date


def checked_reason(reason: str | None) -> str | None:
    """A cancellation's reason, stripped; None when there is none."""
    if reason is None:
        return None
    reason = check_text(reason, "reason").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise invalid("reason", f"A reason has at most {MAX_REASON} characters.")
    return reason
