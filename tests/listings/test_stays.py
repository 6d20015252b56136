from datetime import UTC, date, datetime

import pytest

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.services.listings.stays import MAX_NIGHTS, stay, today_in


def test_a_stay_is_half_open():
    # Booked 2031-01-04 for 7 nights: sleeps the 4th to the 10th, checks out on the 11th.
    booked = stay(date(2031, 1, 4), nights=7)
    assert booked.end == date(2031, 1, 11)
    assert booked.nights == 7
    assert stay(date(2031, 1, 4), end=date(2031, 1, 11)) == booked


@pytest.mark.parametrize(
    ("end", "nights", "field"),
    [
        (None, None, "endDate"),
        (date(2031, 1, 5), 1, "endDate"),
        (None, 0, "nights"),
        (None, MAX_NIGHTS + 1, "nights"),
        (date(2031, 1, 4), None, "endDate"),
        (date(2031, 1, 1), None, "endDate"),
        (date(2032, 1, 10), None, "endDate"),
    ],
)
def test_bad_ranges_are_invalid_dates(end, nights, field):
    with pytest.raises(DomainError) as raised:
        stay(date(2031, 1, 4), end=end, nights=nights)
    assert raised.value.code is ErrorCode.INVALID_DATES
    assert raised.value.field == (field,)


def test_far_future_is_refused_not_overflowed():
    with pytest.raises(DomainError) as raised:
        stay(date(9999, 12, 31), nights=5)
    assert raised.value.field == ("startDate",)


def test_today_depends_on_the_listing_timezone():
    # 2031-01-04 23:30 UTC is already the 5th in Tokyo and still the 4th in New York.
    now = datetime(2031, 1, 4, 23, 30, tzinfo=UTC)
    assert today_in("Asia/Tokyo", now) == date(2031, 1, 5)
    assert today_in("America/New_York", now) == date(2031, 1, 4)
    assert today_in("UTC", now) == date(2031, 1, 4)
    # UTC+14 and UTC-11 are 25 hours apart: at 10:30 UTC they are two dates apart.
    morning = datetime(2031, 1, 4, 10, 30, tzinfo=UTC)
    assert today_in("Pacific/Kiritimati", morning) == date(2031, 1, 5)
    assert today_in("Pacific/Pago_Pago", morning) == date(2031, 1, 3)
