"""Reading calendars into occurrences and nights (services/calendar/ical_events.py and
plan.py): no database, so the awkward cases are cheap to list."""

import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bookwell.services.calendar import ical_events
from bookwell.services.calendar.ical_events import CalendarError, Occurrence, read_calendar
from bookwell.services.calendar.plan import (
    WantedBlock,
    block_name,
    bookwell_reservation_id,
    nights_of,
    plan,
    wanted_blocks,
)

PARIS = ZoneInfo("Europe/Paris")
SINCE = datetime(2029, 12, 1, tzinfo=PARIS)


def read(body: str, *, since: datetime = SINCE, recur_days: int = 730):
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n" + body
    calendar += "END:VCALENDAR\r\n"
    return read_calendar(
        calendar,
        zone=PARIS,
        since=since,
        until=since + timedelta(days=3660),
        recur_until=since + timedelta(days=recur_days),
    )


def event(*lines: str, uid: str = "e1@test") -> str:
    return (
        "BEGIN:VEVENT\r\n"
        + f"UID:{uid}\r\n"
        + "".join(f"{line}\r\n" for line in lines)
        + ("END:VEVENT\r\n")
    )


def refused(body: str) -> CalendarError:
    with pytest.raises(CalendarError) as raised:
        read(body)
    return raised.value


def test_timed_events_cover_the_nights_from_start_day_to_end_day():
    def nights(start: str, end: str) -> tuple[date, date]:
        occurrence = Occurrence("u", "", datetime.fromisoformat(start), datetime.fromisoformat(end))
        return nights_of(occurrence, PARIS)

    # Check-in afternoon to check-out morning: the nights between.
    assert nights("2030-03-01T15:00+01:00", "2030-03-04T11:00+01:00") == (
        date(2030, 3, 1),
        date(2030, 3, 4),
    )
    # A daytime event blocks its day's night; one ending at midnight not the next.
    assert nights("2030-03-01T10:00+01:00", "2030-03-01T12:00+01:00")[1] == date(2030, 3, 2)
    assert nights("2030-03-01T00:00+01:00", "2030-03-03T00:00+01:00")[1] == date(2030, 3, 3)
    # A zero-length event still covers its day.
    assert nights("2030-03-01T10:00+01:00", "2030-03-01T10:00+01:00")[1] == date(2030, 3, 2)


def test_defaults_floating_time_and_windows_zones():
    floating = read(event("DTSTART:20300301T233000", "DTEND:20300302T100000"))
    no_end = read(event("DTSTART;VALUE=DATE:20300301"))
    duration = read(event("DTSTART:20300301T220000Z", "DURATION:P1DT2H"))
    # A broken property that does not say when is no reason to refuse the event.
    sloppy = read(event("DTSTART;VALUE=DATE:20300301", "LAST-MODIFIED:yesterday"))
    assert len(sloppy.occurrences) == 1

    assert floating.occurrences[0].start == datetime(2030, 3, 1, 23, 30, tzinfo=PARIS)
    assert (no_end.occurrences[0].start, no_end.occurrences[0].end) == (
        date(2030, 3, 1),
        date(2030, 3, 2),
    )
    assert duration.occurrences[0].end == datetime(2030, 3, 3, 0, tzinfo=UTC)

    outlook = (
        "BEGIN:VTIMEZONE\r\nTZID:Pacific Standard Time\r\nBEGIN:STANDARD\r\n"
        "DTSTART:16010101T020000\r\nTZOFFSETFROM:-0700\r\nTZOFFSETTO:-0800\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
        "DTSTART:16010101T020000\r\nTZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    )
    windows = read(
        outlook
        + event(
            "DTSTART;TZID=Pacific Standard Time:20300705T200000",
            "DTEND;TZID=Pacific Standard Time:20300707T080000",
        )
    )
    # 20:00 PDT on the 5th is 05:00 on the 6th in Paris.
    assert nights_of(windows.occurrences[0], PARIS) == (date(2030, 7, 6), date(2030, 7, 7))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (event("DTSTART;VALUE=DATE:20301345"), "e1@test: DTSTART cannot be read"),
        (event("DTEND;VALUE=DATE:20300302"), "e1@test: DTSTART is missing"),
        (event("DTSTART:20300302T100000Z", "DTEND:20300301T100000Z"), "ends before it starts"),
        (event("DTSTART;TZID=Nowhere/Town:20300301T100000"), "unknown time zone 'Nowhere/Town'"),
        (
            event("DTSTART;VALUE=DATE:20300301", "DTEND:20300302T100000Z"),
            "e1@test: its dates cannot be read",
        ),
        (event("DTSTART;VALUE=DATE:20300301", uid=""), "An event has no UID"),
        (
            event(
                "DTSTART;TZID=Europe/Paris:20300301T100000",
                "RRULE:FREQ=DAILY;UNTIL=20300305T100000",
            ),
            "e1@test: its recurrence cannot be read",
        ),
        (event("DTSTART:20000101T000000Z", "RRULE:FREQ=MINUTELY"), "recurs more than"),
        ("BEGIN:VEVENT\r\nUID:cut\r\nDTSTART;VALUE=DATE:20300301\r\n", "Not an iCalendar file"),
    ],
)
def test_what_cannot_be_read_is_refused_naming_the_event(body: str, says: str):
    assert says in str(refused(body))


def test_recurrences_stop_at_the_horizon_and_skip_cancelled_ones():
    weekly = event(
        "DTSTART;VALUE=DATE:20291201",
        "DTEND;VALUE=DATE:20291202",
        "RRULE:FREQ=WEEKLY",
        uid="weekly@test",
    )
    cancelled = event(
        "RECURRENCE-ID;VALUE=DATE:20291208",
        "DTSTART;VALUE=DATE:20291208",
        "STATUS:CANCELLED",
        uid="weekly@test",
    )
    found = read(weekly + cancelled, recur_days=28).occurrences
    assert [o.uid for o in found] == [
        "weekly@test#2029-12-01",
        "weekly@test#2029-12-15",
        "weekly@test#2029-12-22",
    ]
    whole_series = weekly.replace("RRULE:FREQ=WEEKLY", "RRULE:FREQ=WEEKLY\r\nSTATUS:CANCELLED")
    assert read(whole_series, recur_days=28).occurrences == []


def test_only_the_future_is_blocked():
    today = date(2030, 3, 7)
    occurrences = [
        Occurrence("past@x", "", date(2030, 3, 1), date(2030, 3, 7)),
        Occurrence("under-way@x", "Stay", date(2030, 3, 5), date(2030, 3, 10)),
    ]
    wanted = wanted_blocks(occurrences, zone=PARIS, today=today)

    assert [(w.uid, w.start, w.end, w.guest_name) for w in wanted] == [
        ("under-way@x", today, date(2030, 3, 10), "Blocked: Stay")
    ]

    # A block imported before it began is unchanged once under way.
    row = _row("under-way@x", date(2030, 3, 5), date(2030, 3, 10))
    changes = plan(wanted, [row], source="s", quantity=1, today=today)
    assert (changes.unchanged, changes.moves, changes.creates, changes.removals) == (1, [], [], [])


def test_bookwell_feeds_events_name_their_reservations():
    id_ = uuid.UUID("0190a1b2-0000-7000-8000-000000000000")
    assert bookwell_reservation_id(f"{id_}@bookwell") == id_
    assert bookwell_reservation_id(f"{id_}@bookwell#2030-03-08") == id_
    for other in (f"{id_}@bookwell.example", "x@bookwell", f"{id_}@airbnb.com"):
        assert bookwell_reservation_id(other) is None
    # Whose they are is for the import to ask: the plan blocks them like any event.
    ours = Occurrence(f"{id_}@bookwell", "", date(2030, 3, 8), date(2030, 3, 9))
    assert len(wanted_blocks([ours], zone=PARIS, today=date(2030, 3, 7))) == 1


def _row(uid: str, start: date, end: date, status: str = "CONFIRMED") -> SimpleNamespace:
    return SimpleNamespace(
        external_uid=uid,
        external_source="s",
        status=status,
        start_date=start,
        end_date=end,
        quantity=1,
        guest_name="Blocked: Stay",
    )


def test_a_block_under_way_keeps_its_past_nights():
    today = date(2030, 3, 7)
    under_way = _row("under-way@x", date(2030, 3, 5), date(2030, 3, 10))
    longer = WantedBlock("under-way@x", "Blocked: Stay", today, date(2030, 3, 12))

    moved = plan([longer], [under_way], source="s", quantity=1, today=today).moves
    assert [(m.wanted.start, m.wanted.end) for m in moved] == [
        (date(2030, 3, 5), date(2030, 3, 12))
    ]
    # A cancelled block blocks again from today only: its past nights were free.
    cancelled = _row("under-way@x", date(2030, 3, 5), date(2030, 3, 10), status="CANCELLED")
    moved = plan([longer], [cancelled], source="s", quantity=1, today=today).moves
    assert moved[0].wanted.start == today

    # Gone from the calendar: under way, it ends today; not begun, it is cancelled.
    later = _row("later@x", date(2030, 3, 20), date(2030, 3, 22))
    gone = plan([], [under_way, later], source="s", quantity=1, today=today)
    assert (gone.endings, gone.removals) == ([under_way], [later])
    # Pasted text without a name removes nothing.
    kept = plan([], [under_way, later], source="s", quantity=1, today=today, removes=False)
    assert (kept.endings, kept.removals) == ([], [])


def test_dtstart_is_always_the_first_occurrence():
    with_rdate = read(
        event(
            "DTSTART;VALUE=DATE:20300320",
            "DTEND;VALUE=DATE:20300323",
            "RDATE;VALUE=DATE:20300401",
        )
    )
    assert [(o.uid, o.start, o.end) for o in with_rdate.occurrences] == [
        ("e1@test#2030-03-20", date(2030, 3, 20), date(2030, 3, 23)),
        ("e1@test#2030-04-01", date(2030, 4, 1), date(2030, 4, 4)),
    ]

    # 2030-03-06 is a Wednesday; the rule's Mondays follow it.
    def wednesday(rule: str) -> list[date]:
        found = read(
            event(
                "DTSTART;TZID=Europe/Paris:20300306T100000",
                "DTEND;TZID=Europe/Paris:20300306T120000",
                f"RRULE:{rule}",
            )
        )
        return [o.start.date() for o in found.occurrences]

    until_monday_18 = "FREQ=WEEKLY;BYDAY=MO;UNTIL=20300320T000000Z"
    three = [date(2030, 3, 6), date(2030, 3, 11), date(2030, 3, 18)]
    assert wednesday(until_monday_18) == three
    # It is the first of COUNT, as RFC 5545 says.
    assert wednesday("FREQ=WEEKLY;BYDAY=MO;COUNT=3") == three
    assert wednesday("FREQ=WEEKLY;BYDAY=MO;COUNT=1") == [date(2030, 3, 6)]
    assert wednesday("FREQ=WEEKLY;BYDAY=WE;COUNT=2") == [date(2030, 3, 6), date(2030, 3, 13)]
    # An EXDATE still removes it.
    excluded = read(
        event(
            "DTSTART;VALUE=DATE:20300320",
            "RDATE;VALUE=DATE:20300401",
            "EXDATE;VALUE=DATE:20300320",
        )
    )
    assert [o.start for o in excluded.occurrences] == [date(2030, 4, 1)]


def test_an_all_day_exdate_excludes_that_day_of_a_timed_series():
    daily = read(
        event(
            "DTSTART;TZID=Europe/Paris:20300301T100000",
            "DTEND;TZID=Europe/Paris:20300301T120000",
            "RRULE:FREQ=DAILY;COUNT=3",
            "EXDATE;VALUE=DATE:20300302",
        )
    )
    assert [o.start.date() for o in daily.occurrences] == [date(2030, 3, 1), date(2030, 3, 3)]


def test_one_uid_in_several_events_is_one_event_in_revisions():
    old = event("SEQUENCE:1", "DTSTART;VALUE=DATE:20300301", "DTEND;VALUE=DATE:20300303")
    new = event("SEQUENCE:2", "DTSTART;VALUE=DATE:20300305", "DTEND;VALUE=DATE:20300306")
    for body in (old + new, new + old):
        assert [(o.uid, o.start) for o in read(body).occurrences] == [("e1@test", date(2030, 3, 5))]
    assert len(read(old + old).occurrences) == 1  # a copy is no revision

    other = event("SEQUENCE:1", "DTSTART;VALUE=DATE:20300310")
    assert "e1@test: it appears more than once" in str(refused(old + other))
    no_sequence = event("DTSTART;VALUE=DATE:20300301") + event("DTSTART;VALUE=DATE:20300310")
    assert "e1@test: it appears more than once" in str(refused(no_sequence))
    # So are overrides of one occurrence.
    weekly = event("DTSTART;VALUE=DATE:20300301", "RRULE:FREQ=WEEKLY;COUNT=2")
    moved_to = [
        event("RECURRENCE-ID;VALUE=DATE:20300308", f"DTSTART;VALUE=DATE:{day}")
        for day in ("20300309", "20300310")
    ]
    assert "e1@test: it appears more than once" in str(refused(weekly + "".join(moved_to)))


def test_timed_events_that_take_no_time_do_not_block():
    transparent = read(
        event(
            "DTSTART:20300301T100000Z",
            "DTEND:20300301T110000Z",
            "TRANSP:TRANSPARENT",
            uid="free@test",
        )
        # Google marks all-day events TRANSPARENT unless told otherwise: they block.
        + event("DTSTART;VALUE=DATE:20300305", "TRANSP:TRANSPARENT", uid="all-day@test")
    )
    assert [o.uid for o in transparent.occurrences] == ["all-day@test"]


def test_a_cancelled_series_takes_its_overrides_along():
    cancelled_series = event(
        "DTSTART;VALUE=DATE:20300301", "RRULE:FREQ=WEEKLY;COUNT=3", "STATUS:CANCELLED"
    ) + event("RECURRENCE-ID;VALUE=DATE:20300308", "DTSTART;VALUE=DATE:20300309")
    assert read(cancelled_series).occurrences == []


def test_an_override_of_a_single_event_replaces_it():
    single = event("SEQUENCE:0", "DTSTART;VALUE=DATE:20300301", "DTEND;VALUE=DATE:20300303")
    override = event(
        "RECURRENCE-ID;VALUE=DATE:20300301",
        "DTSTART;VALUE=DATE:20300302",
        "DTEND;VALUE=DATE:20300304",
    )
    found = read(single + override).occurrences
    assert [(o.uid, o.start, o.end) for o in found] == [
        ("e1@test", date(2030, 3, 2), date(2030, 3, 4))
    ]
    cancelling = override.replace("END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT")
    assert read(single + cancelling).occurrences == []


def test_only_events_ahead_count_against_the_limit(monkeypatch):
    monkeypatch.setattr(ical_events, "MAX_EVENTS", 2)
    past = "".join(
        event(f"DTSTART;VALUE=DATE:2020030{day}", uid=f"past{day}@test") for day in range(1, 6)
    )
    ahead = [event(f"DTSTART;VALUE=DATE:2030030{day}", uid=f"ahead{day}@test") for day in (1, 2)]
    assert len(read(past + "".join(ahead)).occurrences) == 2
    more = event("DTSTART;VALUE=DATE:20300303", uid="ahead3@test")
    assert "at most 2 events ahead" in str(refused(past + "".join(ahead) + more))


def test_block_names_fit_the_column():
    assert block_name("") == "Blocked"
    assert len(block_name("y" * 500)) == 200
