"""A timezone's ZoneInfo, kept for the life of the process.

zoneinfo keeps only the eight zones used last strongly, the others weakly: with listings in
more timezones than that, a zone built and dropped per request is read again from its file
each time (~30 us against ~0.1; issue 18: a booking's "today" in its listing's timezone)."""

from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=1024)  # above the IANA database's ~600 names; an unknown name raises
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)
