"""Reading a calendar where it cannot hold up the server: in reader processes of its own
(`CalendarReader`, pebble's process pool), each reading under a wall-time limit.

Why processes: a calendar is parsed and its recurrences expanded in pure Python, which
holds the GIL, and a thread cannot be stopped. A reader thread over its time would go on
spending CPU (and hold a place in the pool that logins hash passwords in) however long the
calendar says; a process is killed at its limit (pebble restarts it) and never shares the
API's GIL or its default thread pool. The pool is small (settings.calendar_readers), forked
from a clean forkserver (the API process has threads, a fork of it could inherit a held
lock), and a reading that waits for a free reader too long is refused as well.

The budgets, each refused with a message naming it: the size (2 MB, services/calendar/
fetch.py), components nested at most MAX_DEPTH deep (checked before parsing: icalendar
walks components recursively), the counts in services/calendar/ical_events.py (events,
occurrences, recurrence steps per series and in all, RDATE/EXDATE dates), and the time.
Recurrences are walked to the horizon only: dateutil walks a rule that matches no date
(FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) until year 9999, seconds of CPU, so in a reader process
dateutil's rrule module sees a `datetime` whose MAXYEAR, where that walk ends, is the year
after the horizon (`_bound_dateutil`): ical_events stops at the horizon anyway.
"""

import asyncio
import atexit
import datetime as _datetime
import multiprocessing
import re
from dataclasses import dataclass
from datetime import date, time, timedelta

import pebble
from dateutil import rrule as dateutil_rrule

from bookwell.core.errors import ServiceUnavailable
from bookwell.core.zones import zone_info
from bookwell.services.calendar.ical_events import MAX_DATES, CalendarError, read_calendar
from bookwell.services.calendar.plan import WantedBlock, last_night, wanted_blocks

MAX_DEPTH = 10
# A reading may wait for a free reader this many times its time limit, in all.
MAX_WAIT_FACTOR = 3
READ_SECONDS_SETTING = "BOOKWELL_CALENDAR_READ_SECONDS"
CALENDAR_READERS_BUSY = "calendar_readers_busy"  # the 503's reason (core/errors.py)

_UNFOLD = re.compile(r"\r?\n[ \t]")


@dataclass(frozen=True, slots=True)
class ReadCalendar:
    name: str | None  # X-WR-CALNAME, else PRODID
    blocks: list[WantedBlock]
    error: str | None = None  # a CalendarError's message, raised again in the API process


def read_blocks(text: str, *, timezone: str, today: date, horizon_days: int) -> ReadCalendar:
    """The blocks the calendar wants on a listing in `timezone`, from `today` on, recurring
    events up to `horizon_days` ahead (what runs in a reader process)."""
    zone = zone_info(timezone)
    since = _datetime.datetime.combine(today, time(), zone)
    recur_until = since + timedelta(days=horizon_days)
    _HORIZON.MAXYEAR = min(recur_until.year + 1, _datetime.MAXYEAR)
    try:
        check_shape(text)
        parsed = read_calendar(
            text,
            zone=zone,
            since=since,
            until=_datetime.datetime.combine(last_night(today), time(), zone),
            recur_until=recur_until,
        )
    except CalendarError as error:
        return ReadCalendar(None, [], str(error))
    except RecursionError:
        return ReadCalendar(None, [], "it nests too deeply to be read.")
    return ReadCalendar(parsed.name, wanted_blocks(parsed.occurrences, zone=zone, today=today))


def check_shape(text: str) -> None:
    """What is cheaper to count in the text than after parsing: how deep components nest,
    and the RDATE and EXDATE dates (icalendar parses each)."""
    depth = dates = 0
    for line in _UNFOLD.sub("", text).splitlines():
        head = line[:7].upper()
        if head.startswith("BEGIN:"):
            depth += 1
            if depth > MAX_DEPTH:
                raise CalendarError(f"Components nest more than {MAX_DEPTH} levels deep.")
        elif head.startswith("END:"):
            depth -= 1
        elif head.startswith(("RDATE", "EXDATE")):
            dates += line.count(",") + 1
            if dates > MAX_DATES:
                raise CalendarError(f"More than {MAX_DATES} RDATE and EXDATE dates in all.")


class _DatetimeUpTo:
    """The `datetime` module with another MAXYEAR, as dateutil's rrule sees it in a reader."""

    def __init__(self) -> None:
        self.MAXYEAR = _datetime.MAXYEAR

    def __getattr__(self, name: str) -> object:
        return getattr(_datetime, name)


_HORIZON = _DatetimeUpTo()


def _bound_dateutil() -> None:
    """A reader process's initializer (see the module's docstring)."""
    setattr(dateutil_rrule, "datetime", _HORIZON)  # noqa: B010 (a module's global)


class CalendarReader:
    """`workers` reader processes, started on first use."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self._pool: pebble.ProcessPool | None = None

    def _started(self) -> pebble.ProcessPool:
        if self._pool is None or not self._pool.active:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            self._pool = pebble.ProcessPool(
                max_workers=self.workers, initializer=_bound_dateutil, context=context
            )
        return self._pool

    async def read(
        self, text: str, *, timezone: str, today: date, horizon_days: int, seconds: float
    ) -> ReadCalendar:
        """The calendar read in a reader process, or CalendarError naming the limit;
        ServiceUnavailable (retry) when every reader stayed busy with other calendars."""
        future = self._started().schedule(
            read_blocks,
            args=(text,),
            kwargs={"timezone": timezone, "today": today, "horizon_days": horizon_days},
            timeout=seconds,
        )
        try:
            async with asyncio.timeout(seconds * MAX_WAIT_FACTOR):
                result = await asyncio.wrap_future(future)
        except TimeoutError:
            if future.cancelled():  # waited for a reader, then cancelled: not the calendar's fault
                raise ServiceUnavailable(CALENDAR_READERS_BUSY) from None
            raise CalendarError(
                f"reading it took over {seconds:g} s ({READ_SECONDS_SETTING}): it is too "
                "large or its recurrences too complex."
            ) from None
        except pebble.ProcessExpired as error:
            raise CalendarError(
                f"reading it stopped its reader process (exit code {error.exitcode})."
            ) from None
        if result.error is not None:
            raise CalendarError(result.error)
        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=5)
            self._pool = None


_readers: dict[int, CalendarReader] = {}


def shared_reader(workers: int) -> CalendarReader:
    """The process's reader pool of `workers` processes (settings.calendar_readers), started
    on first use and kept as long as the process: starting one takes a second or more (a
    forkserver importing this module), which an import should pay once, not every app."""
    if workers not in _readers:
        if not _readers:
            atexit.register(close_readers)
        _readers[workers] = CalendarReader(workers)
    return _readers[workers]


def close_readers() -> None:
    """Stops every reader process (at exit)."""
    for reader in _readers.values():
        reader.close()
