"""What a host asks a blackout for (services/calendar/blackouts.py), checked: a stay's
nights or a slot listing's hours, how many units, and why."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bookwell.core.errors import InputErrors, check_text, invalid
from bookwell.services.listings.records import ListingRecord
from bookwell.services.listings.stays import Stay, today_in

MAX_REASON = 200
MAX_DAYS = 366
# How far ahead a blackout may begin: the calendar import's horizon.
HORIZON_DAYS = 730
DEFAULT_REASON = "Closed"


@dataclass(frozen=True, slots=True)
class NewBlackout:
    listing_id: uuid.UUID
    # A stay's nights [start_date, end_date), or a slot listing's hours [starts_at, ends_at).
    start_date: date | None = None
    end_date: date | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    # None: every unit.
    units: int | None = None
    reason: str | None = None


def checked_reason(reason: str | None) -> str:
    text = (reason or "").strip() or DEFAULT_REASON
    check_text(text, "reason")
    if len(text) > MAX_REASON:
        raise invalid("reason", f"A reason has at most {MAX_REASON} characters.")
    return text


def check_stay_range(data: NewBlackout, listing: ListingRecord, now: datetime) -> Stay:
    found = InputErrors()
    if data.starts_at is not None or data.ends_at is not None:
        found.add(
            invalid(
                "startsAt",
                "A STAY listing is closed by the night: give startDate and endDate, not times.",
            )
        )
    if data.start_date is None or data.end_date is None:
        found.add(
            invalid(
                "startDate", "Give startDate and endDate (the day after the last night closed)."
            )
        )
    found.raise_if_any()
    assert data.start_date is not None and data.end_date is not None
    if data.end_date <= data.start_date:
        raise invalid("endDate", "endDate is after startDate (the day after the last night).")
    if data.start_date < today_in(listing.timezone, now):
        raise invalid("startDate", "A blackout begins today or later.")
    if (data.end_date - data.start_date).days > MAX_DAYS:
        raise invalid("endDate", f"A blackout closes at most {MAX_DAYS} nights.")
    if data.start_date > today_in(listing.timezone, now) + timedelta(days=HORIZON_DAYS):
        raise invalid("startDate", f"A blackout begins at most {HORIZON_DAYS} days ahead.")
    return Stay(data.start_date, data.end_date)


def check_slot_range(data: NewBlackout, now: datetime) -> tuple[datetime, datetime]:
    found = InputErrors()
    if data.start_date is not None or data.end_date is not None:
        found.add(
            invalid(
                "startDate",
                "A slot listing is closed by the hour: give startsAt and endsAt, not dates.",
            )
        )
    if data.starts_at is None or data.ends_at is None:
        found.add(invalid("startsAt", "Give startsAt and endsAt."))
    found.raise_if_any()
    assert data.starts_at is not None and data.ends_at is not None
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise invalid("startsAt", "Give times with their UTC offset.")
    starts_at, ends_at = _instant(data.starts_at, "startsAt"), _instant(data.ends_at, "endsAt")
    if ends_at <= starts_at:
        raise invalid("endsAt", "endsAt is after startsAt.")
    if ends_at <= now:
        raise invalid("endsAt", "A blackout ends in the future.")
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise invalid("endsAt", f"A blackout lasts at most {MAX_DAYS} days.")
    if starts_at > now + timedelta(days=HORIZON_DAYS):
        raise invalid("startsAt", f"A blackout begins at most {HORIZON_DAYS} days ahead.")
    return starts_at, ends_at


def _instant(moment: datetime, field: str) -> datetime:
    """The moment in UTC; around years 1 and 9999 a wall-clock time may have none."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise invalid(field, "That time is out of range.") from None


def checked_units(data: NewBlackout, listing: ListingRecord) -> int:
    if data.units is None:
        return listing.units
    if not 1 <= data.units <= listing.units:
        raise invalid("units", f"units is between 1 and the listing's {listing.units}.")
    return data.units
