"""Reading calendars into occurrences and nights (services/ical_events.py, calendar_plan.py):
no database, so the awkward cases are cheap to list."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bookwell.services.calendar_plan import block_name, is_ours, nights_of, plan, wanted_blocks
from bookwell.services.ical_events import CalendarError, Occurrence, read_calendar

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


def test_only_the_future_is_blocked_and_our_own_events_never():
    today = date(2030, 3, 7)
    occurrences = [
        Occurrence("past@x", "", date(2030, 3, 1), date(2030, 3, 7)),
        Occurrence("under-way@x", "Stay", date(2030, 3, 5), date(2030, 3, 10)),
        Occurrence("0190a1b2-0000-7000-8000-000000000000@bookwell", "", today, date(2030, 3, 9)),
        Occurrence("ours@bookwell#2030-03-08", "", today, date(2030, 3, 9)),
    ]
    wanted = wanted_blocks(occurrences, zone=PARIS, today=today)

    assert [(w.uid, w.start, w.end, w.guest_name) for w in wanted] == [
        ("under-way@x", today, date(2030, 3, 10), "Blocked: Stay")
    ]
    assert is_ours("x@bookwell#2030-03-08") and not is_ours("x@bookwell.example")

    # A block imported before it began is unchanged once under way.
    row = SimpleNamespace(
        external_uid="under-way@x",
        external_source="s",
        status="CONFIRMED",
        start_date=date(2030, 3, 5),
        end_date=date(2030, 3, 10),
        quantity=1,
        guest_name="Blocked: Stay",
    )
    changes = plan(wanted, [row], source="s", quantity=1, today=today)
    assert (changes.unchanged, changes.moves, changes.creates, changes.removals) == (1, [], [], [])


def test_block_names_fit_the_column():
    assert block_name("") == "Blocked"
    assert len(block_name("y" * 500)) == 200
