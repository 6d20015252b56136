"""The units of time-slot listings: settings checked when a listing is made, its tables,
rooms or items created with it, and reading them back in bulk."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import InputErrors, check_text, invalid
from bookwell.models import ListingKind, ListingUnit, ReservationUnit, new_id
from bookwell.services.listings.records import UNIT_COLUMNS, ListingRecord, UnitRecord

MAX_SEATS = 1000
MAX_BUFFER_MINUTES = 1440
MAX_LABEL = 100
DEFAULT_TABLE_SEATS = 4
UNIT_NAMES = {
    ListingKind.RESTAURANT: "Table",
    ListingKind.SPACE: "Room",
    ListingKind.EQUIPMENT: "Item",
}


@dataclass(frozen=True, slots=True)
class TableSpec:
    seats: int
    label: str | None = None


@dataclass(frozen=True, slots=True)
class SlotSettings:
    """How a slot listing is booked. Ignored for stays."""

    slot_minutes: int = 60
    sitting_minutes: int = 120
    # Local wall-clock hours; closes_at <= opens_at closes the next day; both None: all day.
    opens_at: time | None = time(9)
    closes_at: time | None = time(22)
    # Restaurants only: one table per entry; default: `units` tables of max_guests (or 4) seats.
    tables: tuple[TableSpec, ...] | None = None
    # Minutes each booking's units stay taken before and after it (services/slots/buffers.py).
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0


DEFAULT_SLOTS = SlotSettings()


def _check_time(value: time | None, field: str) -> None:
    if value is None:
        return
    if value.tzinfo is not None:
        raise invalid(field, "Opening hours are local wall-clock times, without a UTC offset.")
    if value.second or value.microsecond:
        raise invalid(field, "Opening hours are whole minutes, such as 18:30.")


def _open_minutes(settings: SlotSettings) -> int:
    if settings.opens_at is None or settings.closes_at is None:
        return 24 * 60
    day = date(2000, 1, 1)
    opens = datetime.combine(day, settings.opens_at)
    closes = datetime.combine(day, settings.closes_at)
    if closes <= opens:
        closes += timedelta(days=1)
    return int((closes - opens).total_seconds()) // 60


def listing_values(
    kind: ListingKind, units: int, settings: SlotSettings, max_units: int
) -> dict[str, Any]:
    """The listing columns the settings set, or every way they do not make sense at once
    (DomainError, DomainErrors)."""
    found = InputErrors()
    found.check(_check_minutes, settings.slot_minutes, "slotMinutes")
    found.check(_check_minutes, settings.sitting_minutes, "sittingMinutes")
    found.check(_check_time, settings.opens_at, "opensAt")
    found.check(_check_time, settings.closes_at, "closesAt")
    if (settings.opens_at is None) != (settings.closes_at is None):
        found.add(invalid("closesAt", "Give both opensAt and closesAt, or neither (open all day)."))
    if settings.tables is not None:
        found.check(_check_tables, kind, units, settings.tables, max_units)
    found.check(_check_buffers, kind, settings)
    found.raise_if_any()
    values: dict[str, Any] = {
        "slot_minutes": settings.slot_minutes,
        "sitting_minutes": settings.sitting_minutes,
        "opens_at": settings.opens_at,
        "closes_at": settings.closes_at,
        "buffer_before_minutes": settings.buffer_before_minutes,
        "buffer_after_minutes": settings.buffer_after_minutes,
    }
    if kind is ListingKind.STAY:
        return values
    shortest = settings.sitting_minutes if kind is ListingKind.RESTAURANT else 0
    if _open_minutes(settings) < max(settings.slot_minutes, shortest):
        raise invalid("closesAt", "The opening hours are shorter than one booking.")
    if settings.tables is not None:
        values["units"] = len(settings.tables)
    return values


def _check_buffers(kind: ListingKind, settings: SlotSettings) -> None:
    found = InputErrors()
    for field, minutes in (
        ("bufferBeforeMinutes", settings.buffer_before_minutes),
        ("bufferAfterMinutes", settings.buffer_after_minutes),
    ):
        if kind is ListingKind.STAY and minutes:
            found.add(invalid(field, "Buffers are for slot listings: a stay books whole nights."))
        elif not 0 <= minutes <= MAX_BUFFER_MINUTES:
            found.add(invalid(field, f"{field} must be between 0 and {MAX_BUFFER_MINUTES}."))
    found.raise_if_any()


def _check_minutes(minutes: int, field: str) -> None:
    if not 5 <= minutes <= 1440:
        raise invalid(field, f"{field} must be between 5 and 1440.")


def _check_tables(
    kind: ListingKind, units: int, tables: Sequence[TableSpec], max_units: int
) -> None:
    """Each table's mistakes blame it by its index: ["tables", "2", "seats"]."""
    if kind is not ListingKind.RESTAURANT:
        raise invalid("tables", "Only restaurants have tables.")
    if not 1 <= len(tables) <= max_units:
        raise invalid("tables", f"A restaurant has 1 to {max_units} tables.")
    found = InputErrors()
    if units not in (1, len(tables)):
        found.add(invalid("units", "units is the number of tables: leave it out or make it equal."))
    for index, table in enumerate(tables):
        at = ("tables", str(index))
        if not 1 <= table.seats <= MAX_SEATS:
            found.add(invalid((*at, "seats"), f"A table seats 1 to {MAX_SEATS} people."))
        found.check(check_label, table.label or "", (*at, "label"))
    found.check(check_labels_differ, [_given(table.label) for table in tables], "tables")
    found.raise_if_any()


def _given(label: str | None) -> str | None:
    return (label or "").strip() or None


def check_label(label: str, field: tuple[str, ...]) -> None:
    if len(check_text(label, field).strip()) > MAX_LABEL:
        raise invalid(field, f"A table label has at most {MAX_LABEL} characters.")


def _label_key(label: str) -> str:
    """Labels are the same when they read the same: case and runs of spaces aside."""
    return " ".join(label.split()).casefold()


def check_labels_differ(labels: Sequence[str | None], field: str) -> None:
    """INVALID_INPUT on [field, index, "label"] for each label (None: none given) that
    repeats an earlier one: a guest told "Bar" or a host's plan must name one unit."""
    found = InputErrors()
    seen: set[str] = set()
    for index, label in enumerate(labels):
        if label is None:
            continue
        if (key := _label_key(label)) in seen:
            found.add(invalid((field, str(index), "label"), f"Another unit is labelled {label}."))
        seen.add(key)
    found.raise_if_any()


def with_default_labels(name: str, labels: Sequence[str | None]) -> list[str]:
    """Each label, a unit without one named `<name> <position>`, or the next number no
    other unit's label has taken."""
    taken = {_label_key(label) for label in labels if label is not None}
    named = []
    for position, label in enumerate(labels, 1):
        number = position
        while label is None:
            if (key := _label_key(candidate := f"{name} {number}")) not in taken:
                label = candidate
                taken.add(key)
            number += 1
        named.append(label)
    return named


async def create_units(
    *, session: AsyncSession, listing: ListingRecord, settings: SlotSettings
) -> None:
    """A slot listing's units, in the order they are offered: its tables, rooms or items."""
    if listing.kind is ListingKind.STAY:
        return
    name = UNIT_NAMES[listing.kind]
    if listing.kind is ListingKind.RESTAURANT:
        seats = listing.max_guests or DEFAULT_TABLE_SEATS
        tables = settings.tables or tuple(TableSpec(seats) for _ in range(listing.units))
    else:
        tables = tuple(TableSpec(0) for _ in range(listing.units))
    labels = with_default_labels(name, [_given(table.label) for table in tables])
    rows = [
        {
            "id": new_id(),
            "listing_id": listing.id,
            "label": label,
            "seats": table.seats or None,
            "position": position,
        }
        for position, (table, label) in enumerate(zip(tables, labels, strict=True), 1)
    ]
    await session.execute(insert(ListingUnit), rows)


async def units_of_listings(
    *,
    session: AsyncSession,
    listing_ids: Sequence[uuid.UUID],
    first: int | None = None,
    after_position: int = 0,
) -> dict[uuid.UUID, list[UnitRecord]]:
    """Each listing's units in position order: those after `after_position`, at most `first`
    of each (None: all)."""
    stmt = select(*UNIT_COLUMNS).where(
        ListingUnit.listing_id.in_(listing_ids), ListingUnit.position > after_position
    )
    if first is not None:
        rank = (
            func.row_number()
            .over(partition_by=ListingUnit.listing_id, order_by=ListingUnit.position)
            .label("rank")
        )
        ranked = stmt.add_columns(rank).subquery()
        stmt = select(*list(ranked.c)[: len(UNIT_COLUMNS)]).where(ranked.c.rank <= first)
        stmt = stmt.order_by(ranked.c.listing_id, ranked.c.position)
    else:
        stmt = stmt.order_by(ListingUnit.listing_id, ListingUnit.position)
    found: dict[uuid.UUID, list[UnitRecord]] = defaultdict(list)
    for row in await session.execute(stmt):
        unit = UnitRecord(*row)
        assert unit.listing_id is not None  # read by its listing: not a removed one
        found[unit.listing_id].append(unit)
    return found


async def units_of_reservations(
    *, session: AsyncSession, reservation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[UnitRecord]]:
    stmt = (
        select(ReservationUnit.reservation_id, *UNIT_COLUMNS)
        .join(ListingUnit, ListingUnit.id == ReservationUnit.unit_id)
        .where(ReservationUnit.reservation_id.in_(reservation_ids))
        .order_by(ReservationUnit.reservation_id, ListingUnit.position)
    )
    found: dict[uuid.UUID, list[UnitRecord]] = defaultdict(list)
    for reservation_id, *unit in await session.execute(stmt):
        found[reservation_id].append(UnitRecord(*unit))
    return found
