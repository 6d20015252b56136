"""Time slots: wall-clock arithmetic across DST changes (no database)."""

from datetime import date, datetime, time, timedelta

import pytest

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.services.slots.times import (
    Hours,
    check_bookable_now,
    day_slots,
    instant,
    requested_slot,
)
from tests.slots.slot_clock import (
    ALL_DAY,
    BERLIN,
    DAYTIME,
    NEW_YORK,
    assert_contiguous,
    berlin,
    utc,
)


def test_berlin_spring_forward_has_no_0200_slot_and_no_gap():
    slots = day_slots(date(2031, 3, 30), BERLIN, ALL_DAY, 60, 60)
    starts = [slot.local_start.time() for slot in slots]
    assert len(slots) == 23
    assert time(2) not in starts
    assert_contiguous(slots)
    assert slots[0].starts_at == utc(2031, 3, 29, 23)  # 00:00 CET
    assert slots[-1].ends_at == utc(2031, 3, 30, 22)  # 24:00 CEST
    one, three = slots[1], slots[2]
    assert (one.local_start.time(), one.starts_at, one.ends_at) == (
        time(1),
        utc(2031, 3, 30, 0),
        utc(2031, 3, 30, 1),  # 02:00 CET does not exist: the instant clocks jump to 03:00 CEST
    )
    assert (three.local_start.time(), three.starts_at) == (time(3), utc(2031, 3, 30, 1))


def test_berlin_fall_back_slot_covers_both_occurrences_of_0200():
    slots = day_slots(date(2031, 10, 26), BERLIN, ALL_DAY, 60, 60)
    assert len(slots) == 24
    assert_contiguous(slots)
    two = next(slot for slot in slots if slot.local_start.time() == time(2))
    # 02:00 CEST (00:00Z) to 03:00 CET (02:00Z): one wall-clock hour, two real ones.
    assert (two.starts_at, two.ends_at) == (utc(2031, 10, 26, 0), utc(2031, 10, 26, 2))
    assert two.minutes == 60
    assert slots[-1].ends_at - slots[0].starts_at == timedelta(hours=25)


def test_new_york_half_hour_grid_on_both_dst_days():
    spring = day_slots(date(2031, 3, 9), NEW_YORK, ALL_DAY, 30, 30)
    assert len(spring) == 46
    assert {time(2), time(2, 30)}.isdisjoint(slot.local_start.time() for slot in spring)
    assert_contiguous(spring)
    fall = day_slots(date(2031, 11, 2), NEW_YORK, ALL_DAY, 30, 30)
    assert len(fall) == 48
    assert_contiguous(fall)
    # 01:30 EDT (05:30Z) lasts until 02:00 EST (07:00Z): the repeated hour and a half.
    half_past_one = next(slot for slot in fall if slot.local_start.time() == time(1, 30))
    assert (half_past_one.starts_at, half_past_one.ends_at) == (
        utc(2031, 11, 2, 5, 30),
        utc(2031, 11, 2, 7),
    )


def test_late_restaurant_on_the_night_clocks_spring_forward():
    # Open 18:00 to 04:00, two-hour sittings on the hour: the night of 29 to 30 March 2031.
    slots = day_slots(date(2031, 3, 29), BERLIN, Hours(time(18), time(4)), 60, 120)
    starts = [slot.local_start for slot in slots]
    assert starts == [datetime(2031, 3, 29, h) for h in range(18, 24)] + [
        datetime(2031, 3, 30, 0),
        datetime(2031, 3, 30, 1),
    ]
    midnight, one = slots[-2], slots[-1]
    assert (midnight.starts_at, midnight.ends_at) == (utc(2031, 3, 29, 23), utc(2031, 3, 30, 1))
    # 01:00 to 03:00 on the wall is one real hour that night.
    assert (one.starts_at, one.ends_at) == (utc(2031, 3, 30, 0), utc(2031, 3, 30, 1))


def test_a_skipped_wall_clock_time_means_the_instant_of_the_jump():
    for minute in (0, 1, 30, 59):
        assert instant(datetime(2031, 3, 30, 2, minute), BERLIN) == utc(2031, 3, 30, 1)
    assert instant(datetime(2031, 3, 30, 3, 0), BERLIN) == utc(2031, 3, 30, 1)
    assert instant(datetime(2031, 10, 26, 2, 30), BERLIN) == utc(2031, 10, 26, 0, 30)


def requested(starts_at, ends_at=None, hours=DAYTIME, step=60, default=60):
    return requested_slot(
        starts_at=starts_at,
        ends_at=ends_at,
        zone=BERLIN,
        hours=hours,
        step_minutes=step,
        default_minutes=default,
    )


def test_requested_slot_on_the_grid():
    slot = requested(berlin(2031, 6, 2, 10), berlin(2031, 6, 2, 12))
    assert (slot.starts_at, slot.ends_at, slot.minutes) == (
        utc(2031, 6, 2, 8),
        utc(2031, 6, 2, 10),
        120,
    )
    # The same instants in another offset are the same request.
    assert requested(utc(2031, 6, 2, 8), utc(2031, 6, 2, 10)) == slot
    assert requested(berlin(2031, 6, 2, 19), default=150).ends_at == utc(2031, 6, 2, 19, 30)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        (berlin(2031, 6, 2, 10, 30), None, "startsAt"),  # off the grid
        (berlin(2031, 6, 2, 8), None, "startsAt"),  # before opening
        (berlin(2031, 6, 2, 22), None, "startsAt"),  # at closing
        (berlin(2031, 6, 2, 21), berlin(2031, 6, 2, 23), "endsAt"),  # after closing
        (berlin(2031, 6, 2, 10), berlin(2031, 6, 2, 10), "endsAt"),  # empty
        (berlin(2031, 6, 2, 10), berlin(2031, 6, 2, 9), "endsAt"),  # backwards
        (berlin(2031, 6, 2, 10), berlin(2031, 6, 2, 10, 30), "endsAt"),  # half a slot
        (datetime(2031, 6, 2, 10), None, "startsAt"),  # no offset
    ],
)
def test_requested_slot_refusals(starts_at, ends_at, field):
    with pytest.raises(DomainError) as raised:
        requested(starts_at, ends_at)
    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID_DATES, (field,))


def test_second_occurrence_of_a_repeated_time_is_refused_with_the_first():
    all_day = Hours(None, None)
    first = requested(berlin(2031, 10, 26, 2), hours=all_day)
    assert first.starts_at == utc(2031, 10, 26, 0)
    with pytest.raises(DomainError) as raised:
        requested(berlin(2031, 10, 26, 2, fold=1), hours=all_day)
    assert raised.value.field == ("startsAt",)
    assert "2031-10-26T00:00:00+00:00" in raised.value.message


def test_after_midnight_belongs_to_the_evening_before():
    late = Hours(time(18), time(2))
    slot = requested(berlin(2031, 6, 3, 0), default=120, hours=late)
    assert slot.ends_at == utc(2031, 6, 3, 0)  # 02:00 CEST
    with pytest.raises(DomainError):
        requested(berlin(2031, 6, 3, 1), default=120, hours=late)  # would end at 03:00


def test_not_in_the_past_and_at_most_a_year_ahead():
    slot = requested(berlin(2031, 6, 2, 10))
    check_bookable_now(slot, utc(2031, 6, 2, 8))  # starts right now: fine
    with pytest.raises(DomainError):
        check_bookable_now(slot, utc(2031, 6, 2, 8, 0, 1))
    with pytest.raises(DomainError):
        check_bookable_now(slot, utc(2030, 5, 1))
