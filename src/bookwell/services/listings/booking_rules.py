"""What a host lets guests book: minimum and maximum nights, notice, how far ahead, and the
weekdays a stay may start and end on; per listing, and per season.

`check` is pure: every path that creates or moves a booking (a hold, a guest checkout, a
change of dates, a slot, a waitlist offer) calls it with the rules its listing read brought
along. Calendar imports do not: a block mirrors a booking taken elsewhere, whatever the rules.

A season overrides the rules it sets for stays (or slots) arriving on its dates; for each
rule, the newest season covering the arrival day that sets it wins, else the listing's own.
The search statements apply the same rules in SQL (booking_rules_store.py).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.core.zones import zone_info

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Rules:
    """None: no such rule (on a season: the listing's applies)."""

    min_nights: int | None = None
    max_nights: int | None = None
    min_notice_hours: int | None = None
    booking_window_days: int | None = None
    # ISO weekdays (1 = Monday ... 7 = Sunday) a stay may start (end) on.
    arrival_weekdays: frozenset[int] | None = None
    departure_weekdays: frozenset[int] | None = None

    def under(self, season: "Rules") -> "Rules":
        """These rules with what `season` sets instead."""
        changes = {
            f.name: getattr(season, f.name)
            for f in fields(season)
            if getattr(season, f.name) is not None
        }
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Season:
    name: str
    start_date: date  # arrivals from this day...
    end_date: date  # ...to the day before this one
    rules: Rules

    def covers(self, arrival: date) -> bool:
        return self.start_date <= arrival < self.end_date


@dataclass(frozen=True, slots=True)
class BookingRules:
    base: Rules = Rules()
    seasons: Sequence[Season] = ()  # newest first

    def on(self, arrival: date) -> tuple[Rules, list[str]]:
        """The rules for an arrival on that day, and the seasons that changed them."""
        rules, names = self.base, []
        for season in reversed(self.seasons):  # oldest first: the newest overrides last
            if season.covers(arrival):
                rules = rules.under(season.rules)
                names.append(season.name)
        return rules, names


NO_RULES = BookingRules()


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str  # the rule's API name, such as "minNights"
    message: str

    def error(self) -> DomainError:
        return DomainError(ErrorCode.RULE_VIOLATED, self.message, self.rule)


def check(
    rules: BookingRules,
    start: date | datetime,
    end: date | datetime,
    now: datetime,
    tz: str,
    *,
    check_in: time = time(0),
    arrival_agreed: bool = False,
) -> Violation | None:
    """The first rule that booking [start, end) now breaks, or None.

    Dates are a stay's nights: all rules apply, notice counting to `check_in` on the arrival
    day. Aware datetimes are a slot: only the notice and the booking window apply.
    `arrival_agreed`: a change of dates that keeps the arrival day, which notice and window
    were checked for when it was booked (a guest may still shorten or lengthen the stay).
    """
    found = violations(rules, start, end, now, tz, check_in=check_in, arrival_agreed=arrival_agreed)
    return found[0] if found else None


def violations(
    rules: BookingRules,
    start: date | datetime,
    end: date | datetime,
    now: datetime,
    tz: str,
    *,
    check_in: time = time(0),
    arrival_agreed: bool = False,
) -> list[Violation]:
    """Every rule that booking [start, end) now breaks, in the order `check` tries them
    (notice, window, nights, weekdays): a quote shows them all, a booking refuses the first."""
    zone = zone_info(tz)
    stay = not isinstance(start, datetime)
    if isinstance(start, datetime):
        starts_at = start
        arrival = start.astimezone(zone).date()
    else:
        starts_at = datetime.combine(start, check_in, zone)
        arrival = start
    effective, seasons = rules.on(arrival)
    where = f" (season {', '.join(seasons)})" if seasons else ""
    found = []
    if not arrival_agreed:
        found += _notice_and_window(effective, starts_at, arrival, now, zone)
    if stay:
        assert isinstance(end, date) and not isinstance(end, datetime)
        found += _nights_and_weekdays(effective, arrival, end)
    return [
        Violation(rule, f"{sentence} (the listing's {rule} rule{where}).")
        for rule, sentence in found
    ]


def refuse_if_broken(
    rules: BookingRules,
    start: date | datetime,
    end: date | datetime,
    tz: str,
    *,
    check_in: time = time(0),
    now: datetime | None = None,
    arrival_agreed: bool = False,
) -> None:
    """RULE_VIOLATED, naming the rule, when `check` finds one broken."""
    now = now or datetime.now(UTC)
    found = check(rules, start, end, now, tz, check_in=check_in, arrival_agreed=arrival_agreed)
    if found is not None:
        raise found.error()


def _notice_and_window(
    rules: Rules, starts_at: datetime, arrival: date, now: datetime, zone: ZoneInfo
) -> list[tuple[str, str]]:
    found = []
    hours = rules.min_notice_hours
    if hours is not None and starts_at - now < timedelta(hours=hours):
        found.append(("minNoticeHours", f"Book at least {hours} hour(s) before the start"))
    days = rules.booking_window_days
    if days is not None and (arrival - now.astimezone(zone).date()).days > days:
        found.append(("bookingWindowDays", f"Bookings open at most {days} day(s) ahead"))
    return found


def _nights_and_weekdays(rules: Rules, arrival: date, end: date) -> list[tuple[str, str]]:
    found = []
    nights = (end - arrival).days
    if rules.min_nights is not None and nights < rules.min_nights:
        sentence = f"A stay arriving {arrival} has at least {rules.min_nights} night(s)"
        found.append(("minNights", sentence))
    if rules.max_nights is not None and nights > rules.max_nights:
        sentence = f"A stay arriving {arrival} has at most {rules.max_nights} night(s)"
        found.append(("maxNights", sentence))
    if rules.arrival_weekdays is not None and arrival.isoweekday() not in rules.arrival_weekdays:
        allowed = _days(rules.arrival_weekdays)
        sentence = f"Stays arrive only on {allowed}, not on {_days([arrival])}"
        found.append(("arrivalWeekdays", sentence))
    if rules.departure_weekdays is not None and end.isoweekday() not in rules.departure_weekdays:
        allowed = _days(rules.departure_weekdays)
        sentence = f"Stays end only on {allowed}, not on {_days([end])}"
        found.append(("departureWeekdays", sentence))
    return found


@dataclass(frozen=True, slots=True)
class Day:
    """A day of a calendar under the rules for arrivals on it (its season's, else the
    listing's), as channel managers show restrictions: per day, not per stay."""

    closed_to_arrival: bool  # in the past, inside the notice, beyond the window, or the weekday
    closed_to_departure: bool  # the departure weekdays leave it out
    min_nights: int | None
    max_nights: int | None


def day_rules(
    rules: BookingRules, day: date, now: datetime, tz: str, *, check_in: time = time(0)
) -> Day:
    zone = zone_info(tz)
    effective, _ = rules.on(day)
    starts_at = datetime.combine(day, check_in, zone)
    arrivals = effective.arrival_weekdays
    departures = effective.departure_weekdays
    closed_to_arrival = (
        day < now.astimezone(zone).date()
        or bool(_notice_and_window(effective, starts_at, day, now, zone))
        or (arrivals is not None and day.isoweekday() not in arrivals)
    )
    return Day(
        closed_to_arrival=closed_to_arrival,
        closed_to_departure=departures is not None and day.isoweekday() not in departures,
        min_nights=effective.min_nights,
        max_nights=effective.max_nights,
    )


def _days(days: Iterable[int | date]) -> str:
    numbers = sorted(day.isoweekday() if isinstance(day, date) else day for day in days)
    return ", ".join(WEEKDAY_NAMES[number - 1] for number in numbers) or "no day"


def rules_from_json(item: dict[str, Any]) -> Rules:
    """Rules from a row as booking_rules_store.rules_json aggregates it."""

    def weekdays(key: str) -> frozenset[int] | None:
        value = item.get(key)
        return None if value is None else frozenset(value)

    return Rules(
        min_nights=item.get("minNights"),
        max_nights=item.get("maxNights"),
        min_notice_hours=item.get("minNoticeHours"),
        booking_window_days=item.get("bookingWindowDays"),
        arrival_weekdays=weekdays("arrivalWeekdays"),
        departure_weekdays=weekdays("departureWeekdays"),
    )


def booking_rules_from_json(items: Sequence[dict[str, Any]] | None) -> BookingRules:
    """A listing's rules from its aggregated rows (base and seasons, newest first)."""
    base, seasons = Rules(), []
    for item in items or ():
        if item.get("start") is None:
            base = rules_from_json(item)
        else:
            seasons.append(
                Season(
                    name=item.get("name") or "",
                    start_date=date.fromisoformat(item["start"]),
                    end_date=date.fromisoformat(item["end"]),
                    rules=rules_from_json(item),
                )
            )
    return BookingRules(base, tuple(seasons))
