"""Clocks and zones shared by the slot tests."""

from datetime import UTC, datetime, time
from itertools import pairwise
from zoneinfo import ZoneInfo

from bookwell.services.slots.times import Hours

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
ALL_DAY = Hours(None, None)
# Bookings below are made "on" this day, so 2031's DST days are in the future and in range.
NOW = datetime(2031, 3, 1, 12, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_contiguous(slots) -> None:
    for before, after in pairwise(slots):
        assert before.ends_at == after.starts_at, (before, after)


DAYTIME = Hours(time(9), time(22))


def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)
