"""A slot listing's units after creation (updateListing's `slotUnits`): its tables (with their
seats), rooms or items added, removed, relabelled, resized and reordered.

The host gives the whole list in the order units are offered: a unit named by id is kept
(its label and seats changed when given), one without an id is added, and one left out is
removed. A removed unit that a booking names (past or cancelled) leaves its listing
(listing_id NULL) but keeps its row, so those bookings still name it; one no booking ever
named is deleted, so replacing the list again and again does not grow the table. The list
is written in a few statements, whatever its length (at most MAX_SLOT_UNITS).

A unit may be removed, or a table's seats lowered below a party it holds, only while no
live booking holds it from now on; otherwise UNITS_IN_USE names the bookings. The listing's
row is locked FOR UPDATE first (locked_listing), and every hold locks it before taking units
(services/slots/taking.py), so no booking slips in between the check and the change; a
trigger on reservation_units (migration 0025) refuses a removed unit all the same. Paying
changes no unit: the bookings on the changed units are locked before the check, and a
payment re-checks its unit after locking its reservation (services/slots/removed_units.py).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    Uuid,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import TableValuedAlias

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, invalid
from bookwell.core.zones import zone_info
from bookwell.models import (
    ListingKind,
    ListingUnit,
    Reservation,
    ReservationStatus,
    ReservationUnit,
    new_id,
)
from bookwell.services.listings.records import ListingRecord
from bookwell.services.listings.units import (
    MAX_SEATS,
    UNIT_NAMES,
    check_label,
    check_labels_differ,
    with_default_labels,
)

FIELD = "slotUnits"
NAMED_BOOKINGS = 10
# Units per slotUnits list: each call rewrites them all under the listing's lock.
MAX_SLOT_UNITS = 500
# Positions are unique per listing: kept units move out of the way before taking theirs.
_SHIFT = 1_000_000


@dataclass(frozen=True, slots=True)
class UnitChange:
    """One entry of the new list: an existing unit (`id`) or a new one (no id)."""

    id: uuid.UUID | None = None
    # None: keep it (an existing unit), or "Table <n>" / "Room <n>" / "Item <n>" (a new one).
    label: str | None = None
    # Restaurants: the party the table seats (required for a new table); None keeps it.
    seats: int | None = None


def check_unit_list(units: Sequence[UnitChange], max_units: int) -> None:
    """What needs no listing: the list's length, each entry's seats and label, no id twice.
    Each entry's mistakes blame it by index: ["slotUnits", "2", "seats"]."""
    found = InputErrors()
    most = min(max_units, MAX_SLOT_UNITS)
    if not 1 <= len(units) <= most:
        found.add(invalid(FIELD, f"slotUnits lists 1 to {most} units: the listing's whole list."))
    seen: set[uuid.UUID] = set()
    for index, unit in enumerate(units):
        at = (FIELD, str(index))
        if unit.seats is not None and not 1 <= unit.seats <= MAX_SEATS:
            found.add(invalid((*at, "seats"), f"A table seats 1 to {MAX_SEATS} people."))
        if unit.label is not None:
            found.check(check_label, unit.label, (*at, "label"))
        if unit.id is not None:
            if unit.id in seen:
                found.add(invalid((*at, "id"), "The same unit is listed twice."))
            seen.add(unit.id)
    found.raise_if_any()


async def set_units(
    *, session: AsyncSession, listing: ListingRecord, units: Sequence[UnitChange]
) -> int:
    """Make the listing's units `units` (the listing locked by the caller); how many it has
    now. INVALID_INPUT for units of another listing or seats that do not suit its kind,
    UNITS_IN_USE for a unit removed or shrunk under a live booking."""
    if listing.kind is ListingKind.STAY:
        raise invalid(FIELD, "A STAY listing has no tables, rooms or items: change its units.")
    current = {
        row.id: row
        for row in await session.execute(
            select(ListingUnit.id, ListingUnit.label, ListingUnit.seats).where(
                ListingUnit.listing_id == listing.id
            )
        )
    }
    _check_against(listing.kind, current, units)
    kept = {unit.id: unit for unit in units if unit.id is not None}
    removed = [unit_id for unit_id in current if unit_id not in kept]
    shrunk = {
        unit_id: unit.seats
        for unit_id, unit in kept.items()
        if unit.seats is not None and unit.seats < (current[unit_id].seats or 0)
    }
    await _check_free(session=session, listing=listing, removed=removed, shrunk=shrunk)
    if removed:
        await _remove(session=session, listing_id=listing.id, removed=removed)
    await session.execute(
        update(ListingUnit)
        .where(ListingUnit.listing_id == listing.id)
        .values(position=ListingUnit.position + _SHIFT)
    )
    labels = with_default_labels(UNIT_NAMES[listing.kind], _labels(current, units))
    changed = [
        (unit.id, position, label, unit.seats)
        for position, (unit, label) in enumerate(zip(units, labels, strict=True), 1)
        if unit.id is not None
    ]
    if changed:
        given = _rows(changed, id=Uuid, position=Integer, label=String, seats=Integer)
        await session.execute(
            update(ListingUnit)
            .where(ListingUnit.id == given.c.id)
            .values(
                position=given.c.position,
                label=func.coalesce(given.c.label, ListingUnit.label),
                seats=func.coalesce(given.c.seats, ListingUnit.seats),
            )
        )
    added = [
        (new_id(), label, unit.seats, position)
        for position, (unit, label) in enumerate(zip(units, labels, strict=True), 1)
        if unit.id is None
    ]
    if added:
        rows = _rows(added, id=Uuid, label=String, seats=Integer, position=Integer)
        await session.execute(
            insert(ListingUnit).from_select(
                ["id", "listing_id", "label", "seats", "position"],
                select(
                    rows.c.id,
                    literal(listing.id, Uuid),
                    rows.c.label,
                    rows.c.seats,
                    rows.c.position,
                ),
            )
        )
    return len(units)


def _rows(rows: Sequence[tuple[Any, ...]], **types: Any) -> TableValuedAlias:
    """`rows` as a table of columns `types` (name: SQL type), sent as one typed array per
    column: `unnest($1::uuid[], $2::varchar[], ...)`, whatever the number of rows."""
    listed = [list(each) for each in zip(*rows, strict=True)]
    arrays = func.unnest(
        *(
            bindparam(f"rows_{name}", array, ARRAY(kind))
            for (name, kind), array in zip(types.items(), listed, strict=True)
        )
    )
    columns = (column(name, kind) for name, kind in types.items())
    return arrays.table_valued(*columns).render_derived("given")


async def _remove(
    *, session: AsyncSession, listing_id: uuid.UUID, removed: list[uuid.UUID]
) -> None:
    """Units no booking ever named go; the others leave the listing but keep their rows,
    which past bookings name. (The listing is locked: no booking takes one meanwhile.)"""
    named = select(ReservationUnit.unit_id).where(ReservationUnit.unit_id == ListingUnit.id)
    await session.execute(delete(ListingUnit).where(ListingUnit.id.in_(removed), ~named.exists()))
    await session.execute(
        update(ListingUnit)
        .where(ListingUnit.id.in_(removed))
        .values(listing_id=None, removed_from_listing_id=listing_id, removed_at=func.now())
    )


def _labels(current: dict[uuid.UUID, Any], units: Sequence[UnitChange]) -> list[str | None]:
    """Each unit's label once changed: the one given, a kept unit's own, None for a new
    unit to be named."""
    return [
        (unit.label or "").strip() or (current[unit.id].label if unit.id is not None else None)
        for unit in units
    ]


def _check_against(
    kind: ListingKind, current: dict[uuid.UUID, Any], units: Sequence[UnitChange]
) -> None:
    found = InputErrors()
    if all(unit.id is None or unit.id in current for unit in units):
        found.check(check_labels_differ, _labels(current, units), FIELD)
    for index, unit in enumerate(units):
        at = (FIELD, str(index))
        if unit.id is not None and unit.id not in current:
            found.add(invalid((*at, "id"), "No such unit on this listing."))
        if kind is ListingKind.RESTAURANT and unit.id is None and unit.seats is None:
            found.add(invalid((*at, "seats"), "Say how many a new table seats."))
        if kind is not ListingKind.RESTAURANT and unit.seats is not None:
            found.add(invalid((*at, "seats"), "Only a restaurant's tables have seats."))
    found.raise_if_any()


async def _lock_holds(
    *, session: AsyncSession, listing_id: uuid.UUID, in_the_way: list[ColumnElement[bool]]
) -> None:
    """Lock (in id order, after the listing) every booking from now on on the units
    changed, overdue holds too: a payment of one, begun before its expiry, may still
    confirm it. It locks the reservation first (services/payments), so the check after
    this sees what it committed, and one locking after this sees the unit removed."""
    stmt = (
        select(Reservation.id)
        .join(ReservationUnit, ReservationUnit.reservation_id == Reservation.id)
        .where(
            ReservationUnit.listing_id == listing_id,
            ReservationUnit.holding,
            func.upper(ReservationUnit.occupied) > func.now(),
            or_(*in_the_way),
        )
        .order_by(Reservation.id)
        .with_for_update(of=Reservation, read=True)
    )
    await session.execute(stmt)


async def _check_free(
    *,
    session: AsyncSession,
    listing: ListingRecord,
    removed: list[uuid.UUID],
    shrunk: dict[uuid.UUID, int],
) -> None:
    """UNITS_IN_USE naming the live bookings (from now on) on a removed unit, or on a
    shrunk table with a party larger than its new seats."""
    if not removed and not shrunk:
        return
    in_the_way: list[ColumnElement[bool]] = (
        [ReservationUnit.unit_id.in_(removed)] if removed else []
    )
    in_the_way += [
        and_(ReservationUnit.unit_id == unit_id, Reservation.party_size > seats)
        for unit_id, seats in shrunk.items()
    ]
    await _lock_holds(session=session, listing_id=listing.id, in_the_way=in_the_way)
    stmt = (
        select(
            ListingUnit.label,
            Reservation.id,
            Reservation.guest_name,
            Reservation.starts_at,
            Reservation.party_size,
        )
        .select_from(ReservationUnit)
        .join(Reservation, Reservation.id == ReservationUnit.reservation_id)
        .join(ListingUnit, ListingUnit.id == ReservationUnit.unit_id)
        .where(
            ReservationUnit.listing_id == listing.id,
            ReservationUnit.holding,
            func.upper(ReservationUnit.occupied) > func.now(),
            # An overdue hold is expired by the next booking: it holds nothing any more.
            or_(
                Reservation.status != ReservationStatus.PENDING,
                Reservation.expires_at.is_(None),
                Reservation.expires_at > func.now(),
            ),
            or_(*in_the_way),
        )
        .order_by(Reservation.starts_at, Reservation.id)
        .limit(NAMED_BOOKINGS + 1)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return
    zone = zone_info(listing.timezone)
    named = "; ".join(
        f"{row.label}: {row.guest_name or 'a guest'}"
        f"{f' (party of {row.party_size})' if row.party_size else ''} "
        f"at {row.starts_at.astimezone(zone).isoformat(' ', 'minutes')}, reservation {row.id}"
        for row in rows[:NAMED_BOOKINGS]
    )
    more = " and more" if len(rows) > NAMED_BOOKINGS else ""
    raise DomainError(
        ErrorCode.UNITS_IN_USE,
        "Bookings from now on hold the units you remove or shrink: "
        f"{named}{more}. Cancel or move them first.",
        FIELD,
    )
