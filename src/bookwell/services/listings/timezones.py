"""The timezone names a listing may have: those both Python's zoneinfo and PostgreSQL know.

Each side reads the name on its own (Python for today's date and slot times, PostgreSQL in
queries over many listings), and each has names the other lacks: zoneinfo lists
"localtime", which PostgreSQL refuses. The database refuses unknown names too (migration
0011); this check turns them into a typed error first."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import invalid
from bookwell.core.zones import zone_info

# available_timezones() also rejects names ZoneInfo would read as paths ("../etc").
PYTHON_TIMEZONES = frozenset(available_timezones()) | {"UTC"}

_known: frozenset[str] | None = None


async def known_timezones(*, session: AsyncSession) -> frozenset[str]:
    """Python's names that PostgreSQL knows too, read from pg_timezone_names once per
    process (the view reads the zone files: ~15 ms)."""
    global _known
    if _known is None:
        names = await session.scalars(text("SELECT name FROM pg_timezone_names"))
        _known = PYTHON_TIMEZONES & frozenset(names)
    return _known


def check_timezone(name: str, known: frozenset[str], field: str = "timezone") -> ZoneInfo:
    if name not in known:
        raise invalid(field, f"Unknown IANA timezone {name!r}, e.g. Europe/Paris.")
    try:
        return zone_info(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(field, f"Unknown IANA timezone {name!r}.") from None
