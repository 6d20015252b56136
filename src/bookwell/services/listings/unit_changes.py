"""A slot listing's units after creation (updateListing's `slotUnits`): its tables (with their
seats), rooms or items added, removed, relabelled, resized and reordered.

The host gives the whole list in the order units are offered: a unit named by id is kept
(its label and seats changed when given), one without an id is added, and one left out is
removed. A removed unit leaves its listing (listing_id NULL) but keeps its row, so past
bookings still name it.

A unit may be removed, or a table's seats lowered below a party it holds, only while no
live booking holds it from now on; otherwise UNITS_IN_USE names the bookings. The listing's
row is locked FOR UPDATE first (locked_listing), and every hold locks it before taking units
(services/slots/taking.py), so no booking slips in between the check and the change; a
trigger on reservation_units (migration 0023) refuses a removed unit all the same.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, invalid
from bookwell.models import (
    ListingKind,
    ListingUnit,
    Reservation,
    ReservationStatus,
    ReservationUnit,
    new_id,
)
from bookwell.services.listings.records import ListingRecord
from bookwell.services.listings.units import MAX_SEATS, UNIT_NAMES, check_label

FIELD = "slotUnits"
NAMED_BOOKINGS = 10
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
    if not 1 <= len(units) <= max_units:
        found.add(invalid(FIELD, f"A slot listing has 1 to {max_units} units."))
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
        await session.execute(
            update(ListingUnit)
            .where(ListingUnit.id.in_(removed))
            .values(
                listing_id=None,
                removed_from_listing_id=listing.id,
                removed_at=func.now(),
            )
        )
    await session.execute(
        update(ListingUnit)
        .where(ListingUnit.listing_id == listing.id)
        .values(position=ListingUnit.position + _SHIFT)
    )
    name = UNIT_NAMES[listing.kind]
    for position, unit in enumerate(units, 1):
        label = (unit.label or "").strip() or None
        if unit.id is None:
            await session.execute(
                insert(ListingUnit).values(
                    id=new_id(),
                    listing_id=listing.id,
                    label=label or f"{name} {position}",
                    seats=unit.seats,
                    position=position,
                )
            )
            continue
        values: dict[str, object] = {"position": position}
        if label is not None:
            values["label"] = label
        if unit.seats is not None:
            values["seats"] = unit.seats
        await session.execute(update(ListingUnit).where(ListingUnit.id == unit.id).values(**values))
    return len(units)


def _check_against(
    kind: ListingKind, current: dict[uuid.UUID, Any], units: Sequence[UnitChange]
) -> None:
    found = InputErrors()
    for index, unit in enumerate(units):
        at = (FIELD, str(index))
        if unit.id is not None and unit.id not in current:
            found.add(invalid((*at, "id"), "No such unit on this listing."))
        if kind is ListingKind.RESTAURANT and unit.id is None and unit.seats is None:
            found.add(invalid((*at, "seats"), "Say how many a new table seats."))
        if kind is not ListingKind.RESTAURANT and unit.seats is not None:
            found.add(invalid((*at, "seats"), "Only a restaurant's tables have seats."))
    found.raise_if_any()


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
    zone = ZoneInfo(listing.timezone)
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
