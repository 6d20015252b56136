"""Booking rules (issue 19.1), the pure check: each rule, notice in the listing's timezone,
slots, and seasons' overrides."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bookwell.core.errors import ErrorCode
from bookwell.services.listings.booking_rules import (
    BookingRules,
    Rules,
    Season,
    check,
    day_rules,
    violations,
)

NOW = datetime(2031, 1, 6, 12, tzinfo=UTC)  # a Monday, noon in UTC
MONDAY = date(2031, 1, 6)


def days(n: int) -> date:
    return MONDAY + timedelta(days=n)


def test_no_rules_allow_anything():
    assert check(BookingRules(), days(1), days(2), NOW, "UTC") is None


@pytest.mark.parametrize(
    ("rules", "start", "end", "rule"),
    [
        (Rules(min_nights=3), days(10), days(12), "minNights"),
        (Rules(max_nights=7), days(10), days(18), "maxNights"),
        (Rules(min_notice_hours=48), days(1), days(3), "minNoticeHours"),
        (Rules(booking_window_days=30), days(31), days(33), "bookingWindowDays"),
        (Rules(arrival_weekdays=frozenset({6})), days(7), days(12), "arrivalWeekdays"),
        (Rules(departure_weekdays=frozenset({6, 7})), days(5), days(7), "departureWeekdays"),
    ],
)
def test_each_rule_refuses_what_it_forbids_and_names_itself(rules, start, end, rule):
    found = check(BookingRules(rules), start, end, NOW, "UTC")
    assert found is not None and found.rule == rule
    assert rule in found.message
    error = found.error()
    assert error.code is ErrorCode.RULE_VIOLATED and error.field == (rule,)


@pytest.mark.parametrize(
    ("rules", "start", "end"),
    [
        (Rules(min_nights=3), days(10), days(13)),
        (Rules(max_nights=7), days(10), days(17)),
        (Rules(min_notice_hours=48), days(3), days(4)),
        (Rules(booking_window_days=30), days(30), days(33)),
        (Rules(arrival_weekdays=frozenset({6})), days(5), days(12)),
        (Rules(departure_weekdays=frozenset({6, 7})), days(5), days(6)),
    ],
)
def test_each_rule_allows_what_it_allows(rules, start, end):
    assert check(BookingRules(rules), start, end, NOW, "UTC") is None


def test_notice_counts_to_check_in_in_the_listings_timezone():
    rules = BookingRules(Rules(min_notice_hours=24))
    # Check-in at 15:00 in Tokyo (06:00 UTC) tomorrow is 18 hours away: too soon.
    assert check(rules, days(1), days(2), NOW, "Asia/Tokyo", check_in=time(15)) is not None
    # In Los Angeles (23:00 UTC) it is 35 hours away.
    la = check(rules, days(1), days(2), NOW, "America/Los_Angeles", check_in=time(15))
    assert la is None


def test_a_slot_knows_only_notice_and_window():
    rules = BookingRules(Rules(min_nights=5, min_notice_hours=2, booking_window_days=1))
    assert check(rules, NOW + timedelta(hours=3), NOW + timedelta(hours=4), NOW, "UTC") is None
    soon = check(rules, NOW + timedelta(hours=1), NOW + timedelta(hours=2), NOW, "UTC")
    assert soon is not None and soon.rule == "minNoticeHours"
    far = check(rules, NOW + timedelta(days=3), NOW + timedelta(days=3, hours=1), NOW, "UTC")
    assert far is not None and far.rule == "bookingWindowDays"


def test_a_season_overrides_the_rules_it_sets_for_arrivals_in_it():
    summer = Season("Summer", days(20), days(40), Rules(min_nights=7))
    rules = BookingRules(Rules(min_nights=2, max_nights=10), (summer,))
    inside = check(rules, days(20), days(23), NOW, "UTC")
    assert inside is not None and inside.rule == "minNights" and "Summer" in inside.message
    assert check(rules, days(19), days(22), NOW, "UTC") is None  # arrives before it
    assert check(rules, days(40), days(42), NOW, "UTC") is None  # after it
    too_long = check(rules, days(20), days(31), NOW, "UTC")
    assert too_long is not None and too_long.rule == "maxNights"  # the listing's still


def test_the_newest_season_setting_a_rule_wins():
    older = Season("Old", days(0), days(60), Rules(min_nights=5, max_nights=6))
    newer = Season("New", days(10), days(20), Rules(min_nights=2))
    rules = BookingRules(Rules(), (newer, older))  # newest first
    assert check(rules, days(12), days(14), NOW, "UTC") is None
    assert check(rules, days(12), days(20), NOW, "UTC").rule == "maxNights"
    assert check(rules, days(30), days(32), NOW, "UTC").rule == "minNights"


def test_an_agreed_arrival_is_not_held_to_notice_and_window_again():
    rules = BookingRules(Rules(min_notice_hours=72, booking_window_days=1, min_nights=2))
    assert check(rules, days(1), days(3), NOW, "UTC", arrival_agreed=True) is None
    shorter = check(rules, days(1), days(2), NOW, "UTC", arrival_agreed=True)
    assert shorter is not None and shorter.rule == "minNights"
    assert check(rules, days(1), days(3), NOW, "UTC").rule == "minNoticeHours"


def test_violations_lists_every_rule_broken_in_the_order_check_tries_them():
    rules = BookingRules(
        Rules(
            min_notice_hours=48,
            min_nights=3,
            arrival_weekdays=frozenset({6}),
            departure_weekdays=frozenset({6}),
        )
    )
    found = violations(rules, days(1), days(2), NOW, "UTC")  # Tuesday to Wednesday
    assert [v.rule for v in found] == [
        "minNoticeHours",
        "minNights",
        "arrivalWeekdays",
        "departureWeekdays",
    ]
    assert check(rules, days(1), days(2), NOW, "UTC") == found[0]
    assert violations(rules, days(5), days(12), NOW, "UTC") == []  # Saturday to Saturday


def test_a_day_shows_the_rules_for_an_arrival_on_it():
    summer = Season("Summer", days(10), days(20), Rules(min_nights=7, arrival_weekdays=None))
    rules = BookingRules(
        Rules(
            min_nights=2,
            max_nights=14,
            min_notice_hours=30,
            booking_window_days=30,
            arrival_weekdays=frozenset({6}),
            departure_weekdays=frozenset({6, 7}),
        ),
        (summer,),
    )

    def day(n: int) -> tuple[bool, bool, int | None]:
        found = day_rules(rules, days(n), NOW, "UTC", check_in=time(15))
        assert found.max_nights == 14
        return found.closed_to_arrival, found.closed_to_departure, found.min_nights

    assert day(-1) == (True, False, 2)  # Sunday, past
    assert day(1) == (True, True, 2)  # a Tuesday, 27 hours ahead: inside the notice
    assert day(5) == (False, False, 2)  # a Saturday
    assert day(6) == (True, False, 2)  # a Sunday: departure only
    assert day(12) == (False, False, 7)  # a Saturday in Summer: its minimum
    assert day(13) == (True, False, 7)  # a Sunday in Summer: arrivals as the listing's
    assert day(33) == (True, False, 2)  # a Saturday beyond the 30 days' window
