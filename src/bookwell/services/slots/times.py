"""Wall-clock time slots in a listing's timezone, as the booking semantics define them.

A listing's day has opening hours [opens_at, closes_at) of local wall-clock time (closing at
or before the opening time means closing the next day; no hours means all day). Slots start
on a grid of `step` minutes from the opening time and last a whole number of wall-clock
minutes. Each wall-clock time becomes an instant through the timezone database:

- a time the clocks skip (spring forward) starts no slot; as an end it means the instant the
  clocks jump, so the slot before the gap ends where the slot after it begins;
- a time that occurs twice (fall back) means its first occurrence, so the slot across the
  repeated hour covers both occurrences.

So the instants of one day's slots never overlap and leave no gap, whatever the zone does.
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bookwell.core.errors import DomainError, ErrorCode

MAX_DAYS_AHEAD = 366
# Out of these bounds a wall-clock time may have no UTC instant (years 1 and 9999) and is
# nowhere near a bookable slot anyway.
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Hours:
    opens_at: time | None
    closes_at: time | None

    def window(self, day: date) -> tuple[datetime, datetime]:
        """`day`'s opening hours as naive wall-clock datetimes [open, close)."""
        if self.opens_at is None or self.closes_at is None:
            start = datetime.combine(day, time())
            return start, start + timedelta(days=1)
        start = datetime.combine(day, self.opens_at)
        end = datetime.combine(day, self.closes_at)
        if end <= start:
            end += timedelta(days=1)
        return start, end


@dataclass(frozen=True, slots=True)
class Slot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    local_start: datetime  # naive wall-clock time in the listing's zone
    local_end: datetime

    @property
    def minutes(self) -> int:
        """Wall-clock length: what prices count, whatever the clocks did meanwhile."""
        return int((self.local_end - self.local_start).total_seconds()) // 60


def exists(local: datetime, zone: ZoneInfo) -> bool:
    """False for wall-clock times the clocks skip."""
    aware = local.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


def instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The instant a wall-clock time names: its first occurrence, or for a skipped time the
    instant the clocks jump (found by bisection between the two offsets around the gap)."""
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if exists(local, zone):
        return first
    # In a gap, fold=1 reads the time with the offset after the jump (an instant before the
    # jump) and fold=0 with the one before it (an instant after): the jump lies between, on
    # a whole second.
    low = math.floor(local.replace(tzinfo=zone, fold=1).timestamp())
    high = math.ceil(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= local:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def day_slots(
    day: date, zone: ZoneInfo, hours: Hours, step_minutes: int, length_minutes: int
) -> list[Slot]:
    """Every slot of `length_minutes` that starts on `day`'s grid and ends by closing time."""
    opens, closes = hours.window(day)
    step = timedelta(minutes=step_minutes)
    length = timedelta(minutes=length_minutes)
    slots = []
    start = opens
    while start + length <= closes:
        if exists(start, zone):
            slot = Slot(instant(start, zone), instant(start + length, zone), start, start + length)
            if slot.starts_at < slot.ends_at:
                slots.append(slot)
        start += step
    return slots


def _dates_error(message: str, field: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_DATES, message, field)


def _local(moment: datetime, zone: ZoneInfo, field: str) -> datetime:
    if moment.tzinfo is None:
        raise _dates_error(
            "Give a time with its UTC offset, e.g. 2031-03-30T19:00:00+02:00.", field
        )
    if not EARLIEST <= moment <= LATEST:
        raise _dates_error(f"{field} is too far from today.", field)
    local = moment.astimezone(zone).replace(tzinfo=None, fold=0)
    # Compared in UTC: Python never finds a time in a repeated hour equal across zones.
    if instant(local, zone) != moment.astimezone(UTC):
        # The second occurrence of a repeated wall-clock time (clocks going back).
        raise _dates_error(
            f"{local.isoformat()} occurs twice in {zone.key}; slots use its first occurrence, "
            f"{instant(local, zone).isoformat()}.",
            field,
        )
    return local


def requested_slot(
    *,
    starts_at: datetime,
    ends_at: datetime | None,
    zone: ZoneInfo,
    hours: Hours,
    step_minutes: int,
    default_minutes: int,
) -> Slot:
    """Check a requested [startsAt, endsAt) against the listing's grid and hours.

    `ends_at` None means `default_minutes` later (a restaurant's sitting). A given end must
    make the slot a whole number of steps long.
    """
    local_start = _local(starts_at, zone, "startsAt")
    step = timedelta(minutes=step_minutes)
    for day in (local_start.date(), local_start.date() - timedelta(days=1)):
        opens, closes = hours.window(day)
        if opens <= local_start < closes:
            break
    else:
        raise _dates_error(
            f"{local_start.time().isoformat()} is outside the opening hours.", "startsAt"
        )
    if (local_start - opens) % step:
        raise _dates_error(
            f"Slots start every {step_minutes} minutes from {opens.time().isoformat()}.",
            "startsAt",
        )
    if ends_at is None:
        local_end = local_start + timedelta(minutes=default_minutes)
    else:
        local_end = _local(ends_at, zone, "endsAt")
        if local_end <= local_start:
            raise _dates_error("endsAt must be after startsAt.", "endsAt")
        if (local_end - local_start) % step:
            raise _dates_error(
                f"A booking lasts a whole number of {step_minutes}-minute slots.", "endsAt"
            )
    if local_end > closes:
        raise _dates_error(
            f"The booking would end after closing time ({closes.isoformat()} local time).",
            "endsAt" if ends_at is not None else "startsAt",
        )
    return Slot(instant(local_start, zone), instant(local_end, zone), local_start, local_end)


def check_bookable_now(slot: Slot, now: datetime) -> None:
    if slot.starts_at < now:
        raise _dates_error("This slot starts in the past.", "startsAt")
    if slot.starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        raise _dates_error(f"Slots open at most {MAX_DAYS_AHEAD} days ahead.", "startsAt")
