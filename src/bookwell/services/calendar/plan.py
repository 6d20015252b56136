"""What an import changes: the blocks a calendar wants, compared with the blocks there are.

Pure functions, no database. An occurrence becomes the nights it covers in the listing's
timezone: an all-day event its dates as they are ([DTSTART, DTEND) are nights already); a
timed event the nights from its start's local date to its end's local date (the check-out
day), at least one. Nights before today are never blocked, nor nights past the furthest a
stay may be booked. Nights before today are not rewritten either: a block under way that
moves keeps its past nights, and one whose event is gone ends today instead of being
cancelled, so reports of past nights stay true. Events of Bookwell feeds (`{id}@bookwell`)
are blocks like any other; the import leaves out those of the listing's own reservations
(services/calendar/imports.py), so a listing's feed imported back creates nothing.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from bookwell.models import HOLDING_STATUSES
from bookwell.services.booking.holds import MAX_GUEST_NAME
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.calendar.export import UID_SUFFIX
from bookwell.services.calendar.ical_events import Occurrence
from bookwell.services.listings.stays import MAX_DAYS_AHEAD

BLOCK_NAME = "Blocked"


@dataclass(frozen=True, slots=True)
class WantedBlock:
    uid: str
    guest_name: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Move:
    """An existing block to change (dates, quantity, name, calendar, or back to holding)."""

    block: ReservationRecord
    wanted: WantedBlock


@dataclass(slots=True)
class Plan:
    creates: list[WantedBlock] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    removals: list[ReservationRecord] = field(default_factory=list)  # to cancel
    endings: list[ReservationRecord] = field(default_factory=list)  # under way: to end today
    unchanged: int = 0


def block_name(summary: str) -> str:
    """The reservation's guest name: "Blocked: <summary>", cut to the column's length."""
    name = f"{BLOCK_NAME}: {summary}" if summary else BLOCK_NAME
    return name if len(name) <= MAX_GUEST_NAME else name[: MAX_GUEST_NAME - 1] + "…"


def bookwell_reservation_id(uid: str) -> uuid.UUID | None:
    """The reservation a Bookwell feed's event stands for (`{id}@bookwell`), if it is one."""
    head, suffix, rest = uid.partition("#")[0].rpartition(UID_SUFFIX)
    if not suffix or rest:
        return None
    try:
        return uuid.UUID(head)
    except ValueError:
        return None


def nights_of(occurrence: Occurrence, zone: tzinfo) -> tuple[date, date]:
    start, end = occurrence.start, occurrence.end
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return start, end
    first = start.astimezone(zone).date()
    return first, max(end.astimezone(zone).date(), first + timedelta(days=1))


def last_night(today: date) -> date:
    """Nights from this one on are not blocked: no stay may be booked there either."""
    return today + timedelta(days=MAX_DAYS_AHEAD)


def wanted_blocks(
    occurrences: Iterable[Occurrence], *, zone: tzinfo, today: date
) -> list[WantedBlock]:
    limit = last_night(today)
    wanted = []
    for occurrence in occurrences:
        start, end = nights_of(occurrence, zone)
        start, end = max(start, today), min(end, limit)
        if start < end:
            wanted.append(WantedBlock(occurrence.uid, block_name(occurrence.summary), start, end))
    return wanted


def plan(
    wanted: Sequence[WantedBlock],
    existing: Sequence[ReservationRecord],
    *,
    source: str,
    quantity: int,
    today: date,
    removes: bool = True,
) -> Plan:
    """`existing`: this listing's blocks from `source`, and any with a wanted UID (a block
    imported before from another calendar is taken over: one block per listing and UID).
    Blocks of `source` whose events are gone are removed only if `removes`."""
    by_uid = {row.external_uid: row for row in existing}
    result = Plan()
    for block in wanted:
        row = by_uid.get(block.uid)
        if row is None:
            result.creates.append(block)
        elif _same(row, block, source=source, quantity=quantity, today=today):
            result.unchanged += 1
        else:
            result.moves.append(Move(row, _keeping_the_past(row, block, today)))
    wanted_uids = {block.uid for block in wanted}
    gone = [
        row
        for row in existing
        if removes
        and row.external_source == source
        and row.external_uid not in wanted_uids
        and row.status in HOLDING_STATUSES
        and row.end_date > today
    ]
    result.removals = [row for row in gone if row.start_date >= today]
    result.endings = [row for row in gone if row.start_date < today]
    return result


def _keeping_the_past(row: ReservationRecord, block: WantedBlock, today: date) -> WantedBlock:
    """A block under way keeps its nights before today: they happened (`block` starts today
    at the earliest). A cancelled one blocks again from today only."""
    if row.status not in HOLDING_STATUSES or row.start_date >= today:
        return block
    return replace(block, start=min(row.start_date, block.start))


def _same(
    row: ReservationRecord, block: WantedBlock, *, source: str, quantity: int, today: date
) -> bool:
    return (
        row.status in HOLDING_STATUSES
        and max(row.start_date, today) == block.start
        and row.end_date == block.end
        and row.quantity == quantity
        and row.guest_name == block.guest_name
        and row.external_source == source
    )
