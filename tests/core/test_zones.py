"""zoneinfo's own cache holds eight zones strongly: past that, a zone nobody holds is read
from its file again. core.zones keeps every zone the process used."""

import gc
import weakref
from zoneinfo import ZoneInfoNotFoundError, available_timezones

import pytest

from bookwell.core.zones import zone_info


def test_a_zone_is_kept_while_many_others_are_used():
    kept = weakref.ref(zone_info("Asia/Tokyo"))
    for name in sorted(available_timezones())[:40]:
        zone_info(name)
    gc.collect()

    assert kept() is not None
    assert zone_info("Asia/Tokyo") is kept()


def test_an_unknown_zone_is_refused_every_time():
    for _ in range(2):
        with pytest.raises(ZoneInfoNotFoundError):
            zone_info("Mars/Olympus_Mons")
