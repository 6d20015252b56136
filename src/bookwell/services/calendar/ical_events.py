"""The events of an iCalendar file as concrete occurrences, each with a stable UID.

An event is all-day (DATE values) or timed (aware datetimes: a TZID, UTC, or floating time,
which is read in the listing's timezone). A recurring event (RRULE, RDATE, EXDATE, and
instances overridden by RECURRENCE-ID) is expanded up to `until`, each occurrence named
`{uid}#{original start}` so that it keeps its identity when others change; DTSTART is always
its first occurrence (RFC 5545), unless an EXDATE removes it. An override of an event that
does not recur replaces it, under the event's own UID. Cancelled events (STATUS:CANCELLED)
are left out, a cancelled series with all its overrides, and so are timed events that do
not take up time (TRANSP:TRANSPARENT); all-day events block whatever their TRANSP says,
as Google Calendar marks every all-day event TRANSPARENT ("free") unless told otherwise.
One UID in several events without RECURRENCE-ID is one event in revisions: the highest
SEQUENCE holds (copies that are identical are one); revisions that cannot be told apart
are refused. Anything this cannot read raises CalendarError, naming the event: an import
refuses a calendar it cannot fully understand rather than miss a booking.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice

import icalendar
from dateutil.rrule import rrule, rruleset, rrulestr

MAX_UID = 300
# Events that may be imported: a single event not yet over, or any series (it is walked).
MAX_EVENTS = 5_000
# Occurrences within the window, recurrences expanded: each becomes a block.
MAX_OCCURRENCES = 5_000
# Recurrences are walked from their first occurrence; past this many, one is refused; past
# MAX_TOTAL_STEPS, or MAX_DATES RDATE and EXDATE values, the calendar is.
MAX_STEPS = 20_000
MAX_TOTAL_STEPS = 100_000
MAX_DATES = 20_000
# Dates an event may have: nearer the ends of the calendar, a time may have no UTC instant
# (years 1 and 9999), and nothing there is bookable anyway.
EARLIEST = date(2, 1, 1)
LATEST = date(9997, 12, 31)
_OUT_OF_RANGE = f"its dates are not between {EARLIEST} and {LATEST}."

When = date | datetime
# The properties that say when an event is: one of them broken, the event is refused.
TIMING = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "STATUS"}
)


class CalendarError(ValueError):
    """The text is not a calendar this can read; `uid` names the event to blame, if one is."""

    def __init__(self, message: str, uid: str | None = None):
        super().__init__(f"Event {uid}: {message}" if uid else message)
        self.uid = uid


@dataclass(frozen=True, slots=True)
class Occurrence:
    uid: str
    summary: str
    start: When  # a date (all-day) or an aware datetime
    end: When  # exclusive; the same kind as start

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


@dataclass(frozen=True, slots=True)
class ParsedCalendar:
    name: str | None  # X-WR-CALNAME, else PRODID
    occurrences: list[Occurrence]


def read_calendar(
    text: str, *, zone: tzinfo, since: datetime, until: datetime, recur_until: datetime
) -> ParsedCalendar:
    """Occurrences that end after `since` and start before `until` (aware instants), of
    recurring events only those that start before `recur_until`; floating times are in
    `zone`."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        raise CalendarError(f"Not an iCalendar file ({_short(error)}).") from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise CalendarError("Not an iCalendar file (no VCALENDAR).")
    by_uid: dict[str, list[icalendar.Event]] = defaultdict(list)
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        if not uid:
            raise CalendarError("An event has no UID; events need one to be imported again.")
        if not isinstance(event, icalendar.Event):  # from_ical makes each VEVENT an Event
            raise CalendarError("An event cannot be read.")
        by_uid[uid].append(event)
    window = _Window(zone, since, until, min(until, recur_until), _Budget())
    ahead = sum(
        _may_import(uid, event, window) for uid, events in by_uid.items() for event in events
    )
    if ahead > MAX_EVENTS:
        raise CalendarError(f"A calendar may hold at most {MAX_EVENTS} events ahead to import.")
    occurrences = []
    for uid, events in by_uid.items():
        try:
            occurrences.extend(_occurrences_of(uid, events, window))
        except OverflowError:  # an RDATE, EXDATE or RECURRENCE-ID: see EARLIEST, LATEST
            raise CalendarError(_OUT_OF_RANGE, uid) from None
        if len(occurrences) > MAX_OCCURRENCES:
            raise CalendarError(
                f"More than {MAX_OCCURRENCES} events (recurrences counted) ahead to import."
            )
    name = calendar.get("X-WR-CALNAME") or calendar.get("PRODID")
    return ParsedCalendar(str(name).strip() if name else None, occurrences)


@dataclass(slots=True)
class _Budget:
    """What the calendar's series spent so far, against MAX_TOTAL_STEPS and MAX_DATES."""

    steps: int = 0
    dates: int = 0

    def spend(self, uid: str, *, steps: int = 0, dates: int = 0) -> None:
        self.steps, self.dates = self.steps + steps, self.dates + dates
        if self.steps > MAX_TOTAL_STEPS:
            raise CalendarError(f"the calendar recurs over {MAX_TOTAL_STEPS} steps in all.", uid)
        if self.dates > MAX_DATES:
            raise CalendarError(f"More than {MAX_DATES} RDATE and EXDATE dates in all.", uid)


@dataclass(frozen=True, slots=True)
class _Window:
    zone: tzinfo
    since: datetime
    until: datetime
    recur_until: datetime
    budget: _Budget

    def instant(self, when: When) -> datetime:
        """An aware instant to compare: a date is its midnight in the listing's zone."""
        if not isinstance(when, datetime):
            return datetime.combine(when, time(), self.zone)
        return when if when.tzinfo else when.replace(tzinfo=self.zone)

    def holds(self, start: When, end: When) -> bool:
        return self.instant(end) > self.since and self.instant(start) < self.until


def _occurrences_of(uid: str, events: list[icalendar.Event], window: _Window) -> list[Occurrence]:
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    master = _latest(uid, masters) if masters else None
    if master is not None and _cancelled(master):
        return []  # the whole series, its overrides too
    by_key: dict[str, list[icalendar.Event]] = defaultdict(list)
    for event in events:
        if "RECURRENCE-ID" in event:
            by_key[_recurrence_key(uid, event, window)].append(event)
    overrides = {key: _latest(uid, revisions) for key, revisions in by_key.items()}
    found: dict[str, Occurrence] = {}
    if master is not None:
        start, end = _period(uid, master, window)
        if not _is_recurring(master):
            # Its one occurrence, or the override that replaces it, under the plain UID.
            event = overrides.pop(_key(start), master)
            if event is not master:
                start, end = _period(uid, event, window)
            if _blocks(event, start):
                found[""] = Occurrence(_stored_uid(uid), _summary(event), start, end)
        for occurrence_start in _expand(uid, master, start, window):
            key = _key(occurrence_start)
            if key not in overrides and _blocks(master, occurrence_start):
                found[key] = _occurrence(
                    uid, key, master, occurrence_start, occurrence_start + _length(start, end)
                )
    for key, event in overrides.items():
        start, end = _period(uid, event, window)
        if _blocks(event, start):
            found[key] = _occurrence(uid, key, event, start, end)
    return [o for o in found.values() if window.holds(o.start, o.end)]


def _latest(uid: str, revisions: list[icalendar.Event]) -> icalendar.Event:
    """The revision that holds among events of one UID (and RECURRENCE-ID)."""
    distinct = list({event.to_ical(): event for event in revisions}.values())
    if len(distinct) == 1:
        return distinct[0]
    distinct.sort(key=lambda event: _sequence(uid, event))
    if _sequence(uid, distinct[-1]) == _sequence(uid, distinct[-2]):
        raise CalendarError(
            "it appears more than once, and no SEQUENCE tells which version holds.", uid
        )
    return distinct[-1]


def _sequence(uid: str, event: icalendar.Event) -> int:
    try:
        return int(str(event.get("SEQUENCE", 0)))
    except ValueError:
        raise CalendarError("SEQUENCE is not a number.", uid) from None


def _may_import(uid: str, event: icalendar.Event, window: _Window) -> bool:
    """Whether the event counts against MAX_EVENTS: a series (walked whatever its dates),
    or a single event that blocks and is not over yet (one that cannot be read counts:
    it is refused later, by name)."""
    if _is_recurring(event):
        return True
    try:
        start, end = _period(uid, event, window)
    except CalendarError:
        return True
    return _blocks(event, start) and window.instant(end) > window.since


def _occurrence(uid: str, key: str, event: icalendar.Event, start: When, end: When) -> Occurrence:
    return Occurrence(_stored_uid(f"{uid}#{key}"), _summary(event), start, end)


def _is_recurring(event: icalendar.Event) -> bool:
    return "RRULE" in event or "RDATE" in event


def _cancelled(event: icalendar.Event) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"


def _blocks(event: icalendar.Event, start: When) -> bool:
    """Not cancelled, and for a timed event not TRANSPARENT (see the module's docstring)."""
    if _cancelled(event):
        return False
    transparent = str(event.get("TRANSP", "")).upper() == "TRANSPARENT"
    return not (transparent and isinstance(start, datetime))


def _summary(event: icalendar.Event) -> str:
    return " ".join(str(event.get("SUMMARY", "")).split())


def _stored_uid(uid: str) -> str:
    """The UID as stored (at most MAX_UID characters): a longer one by its digest."""
    if len(uid) <= MAX_UID:
        return uid
    return "sha256:" + hashlib.sha256(uid.encode()).hexdigest()


def _key(start: When) -> str:
    """An occurrence's name within its event: its original start (a date, or UTC)."""
    if isinstance(start, datetime):
        return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return start.isoformat()


def _recurrence_key(uid: str, event: icalendar.Event, window: _Window) -> str:
    try:
        value = event.decoded("RECURRENCE-ID")
    except (KeyError, ValueError, TypeError):
        raise CalendarError("RECURRENCE-ID is not a date or time.", uid) from None
    if not isinstance(value, date):
        raise CalendarError("RECURRENCE-ID is not a date or time.", uid)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = _aware(uid, event, "RECURRENCE-ID", value, window.zone)
    return _key(value)


def _period(uid: str, event: icalendar.Event, window: _Window) -> tuple[When, When]:
    """DTSTART and the (exclusive) end, from DTEND, DURATION or the RFC 5545 default."""
    # A line icalendar could not split into a property has no name (None): not a timing one.
    broken = [name for name, _ in event.errors if name is not None and name.upper() in TIMING]
    if broken:
        raise CalendarError(f"{', '.join(broken)} cannot be read.", uid)
    if "DTSTART" not in event:
        raise CalendarError("DTSTART is missing.", uid)
    try:
        start, end = event.start, event.end
    except (ValueError, TypeError, OverflowError) as error:
        raise CalendarError(f"its dates cannot be read ({_short(error)}).", uid) from None
    if not (EARLIEST <= _day(start) <= LATEST and EARLIEST <= _day(end) <= LATEST):
        raise CalendarError(_OUT_OF_RANGE, uid)
    if isinstance(start, datetime) and isinstance(end, datetime):
        start = _aware(uid, event, "DTSTART", start, window.zone)
        end = _aware(uid, event, "DTEND", end, window.zone)
    if end < start:
        raise CalendarError("it ends before it starts.", uid)
    if end == start and not isinstance(start, datetime):
        end = start + timedelta(days=1)
    return start, end


def _length(start: When, end: When) -> timedelta:
    """`end - start` of a period from `_period`, which compared them: both are dates, or both
    times (a date and a time do not compare, nor subtract)."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end - start
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise TypeError("a date and a time do not subtract")
    return end - start


def _day(when: When) -> date:
    return when.date() if isinstance(when, datetime) else when


def _aware(uid: str, event: icalendar.Event, name: str, value: datetime, zone: tzinfo) -> datetime:
    """Floating time is the listing's; a TZID icalendar did not know is an error."""
    if value.tzinfo is not None:
        return value
    prop = event.get(name)
    tzid = prop.params.get("TZID") if prop is not None and hasattr(prop, "params") else None
    if tzid:
        raise CalendarError(f"unknown time zone {tzid!r} in {name}.", uid)
    return value.replace(tzinfo=zone)


def _expand(uid: str, event: icalendar.Event, start: When, window: _Window) -> list[When]:
    """The starts of a recurring event's occurrences within the window, by python-dateutil
    (RRULE with COUNT/UNTIL, RDATE, EXDATE); none for an event that does not recur. DTSTART
    is added as an RDATE: an rruleset leaves it out when the RRULE does not match it. An
    EXDATE that is a date on a timed event excludes the occurrence on that day (local to
    DTSTART's zone)."""
    if not _is_recurring(event):
        return []
    all_day = not isinstance(start, datetime)
    first = start if isinstance(start, datetime) else datetime.combine(start, time())
    rules = rruleset()
    excluded_days: set[date] = set()
    window.budget.spend(uid, dates=_dates(event))
    try:
        rules.rdate(first)
        for rule in event.rrules:
            parsed = _counting_dtstart(
                rrulestr(rule.to_ical().decode(), dtstart=first, ignoretz=all_day),
                first,
                rule.get("COUNT"),
            )
            if parsed is not None:
                rules.rrule(parsed)
        for extra in event.rdates:
            rules.rdate(_as_start(uid, event, extra[0], all_day, window))
        for excluded in event.exdates:
            if not all_day and not isinstance(excluded, datetime):
                excluded_days.add(excluded)
            else:
                rules.exdate(_as_start(uid, event, excluded, all_day, window))
    except (ValueError, TypeError) as error:
        raise CalendarError(f"its recurrence cannot be read ({_short(error)}).", uid) from None
    try:
        starts = [
            step
            for step in _walk(rules, window, all_day)
            if not excluded_days
            or not isinstance(step, datetime)
            or step.astimezone(first.tzinfo).date() not in excluded_days
        ]
    except (ValueError, TypeError) as error:
        raise CalendarError(f"its recurrence cannot be read ({_short(error)}).", uid) from None
    if len(starts) > MAX_STEPS:
        raise CalendarError(f"it recurs more than {MAX_STEPS} times before the horizon.", uid)
    window.budget.spend(uid, steps=len(starts))
    return starts


def _dates(event: icalendar.Event) -> int:
    """RDATE and EXDATE values, counted unparsed (a property may be one line or a list)."""
    lines = [event.get(name, []) for name in ("RDATE", "EXDATE")]
    each = [line for many in lines for line in (many if isinstance(many, list) else [many])]
    return sum(len(getattr(line, "dts", ())) for line in each)


def _counting_dtstart(rule: rrule, first: datetime, count: list[int] | None) -> rrule | None:
    """RFC 5545 counts DTSTART as the first of COUNT occurrences even when the rule does not
    match it; dateutil counts only the rule's own, so one fewer of those is left (none: no
    rule left)."""
    if not count or next(iter(rule), None) == first:
        return rule
    return rule.replace(count=count[0] - 1) if count[0] > 1 else None


def _walk(rules: rruleset, window: _Window, all_day: bool) -> Iterator[When]:
    """Starts up to the window's end, and one more than MAX_STEPS at most."""
    for step in islice(rules, MAX_STEPS + 1):
        if window.instant(step) >= window.recur_until:
            return
        yield step.date() if all_day else step


def _as_start(
    uid: str, event: icalendar.Event, value: When, all_day: bool, window: _Window
) -> datetime:
    """An RDATE/EXDATE value in the same form as the expanded starts."""
    if all_day:
        return datetime.combine(value if not isinstance(value, datetime) else value.date(), time())
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), window.zone)
    return value if value.tzinfo else value.replace(tzinfo=window.zone)


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 120 else text[:117] + "..."
