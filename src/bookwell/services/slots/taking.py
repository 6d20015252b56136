"""Taking a slot's units: the reservation row and its units, all or none.

Shared by a guest's booking (slots.py), a host's booking for a guest, and a waitlist offer
(services/waitlist/slot_waitlist.py); each priced with the listing's taxes and any voucher
(rules.py `quote_slot`) when the listing row carries its `taxes`. The exclusion constraint
on reservation_units is the guarantee: each unit is taken with `INSERT ... ON CONFLICT ON
CONSTRAINT <exclusion> DO NOTHING`, so a unit taken meanwhile inserts nothing (after waiting
for the other transaction) and the next candidate is tried. Callers lock the listing's row
first (every slot hold does), so two holds on one listing never wait for each other's units
in a cycle.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, invalid, not_found
from bookwell.core.zones import zone_info
from bookwell.models import (
    CURRENT_UNIT_CONSTRAINT,
    NO_OVERLAP_CONSTRAINT,
    Listing,
    ListingKind,
    ListingUnit,
    Reservation,
    ReservationStatus,
    ReservationUnit,
    new_id,
)
from bookwell.services.booking.records import RESERVATION_COLUMNS, ReservationRecord
from bookwell.services.listings.agreed_price import tax_of
from bookwell.services.slots.buffers import NO_BUFFERS, Buffers, buffered_slot
from bookwell.services.slots.rules import quote_slot, slot_persons
from bookwell.services.slots.times import Slot
from bookwell.services.vouchers.redeem import Applied


def slot_of(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> Slot:
    """A stored window (checked against the grid when it was asked for) as a Slot."""
    local_start = starts_at.astimezone(zone).replace(tzinfo=None)
    local_end = ends_at.astimezone(zone).replace(tzinfo=None)
    return Slot(starts_at, ends_at, local_start, local_end)


def during(slot: Slot) -> Any:
    return func.tstzrange(slot.starts_at, slot.ends_at, "[)")


def busy_units(
    listing_id: uuid.UUID, slot: Slot, *, buffers: Buffers = NO_BUFFERS, live: bool = False
) -> Any:
    """The listing's units held by anyone for part of the slot widened by `buffers` (their
    own buffers included: services/slots/buffers.py); `live`: not counting overdue PENDING
    holds (a booking expires them before it takes units)."""
    stmt = select(ReservationUnit.unit_id).where(
        ReservationUnit.listing_id == listing_id,
        ReservationUnit.holding,
        ReservationUnit.occupied.overlaps(buffered_slot(slot, buffers)),
    )
    if live:
        stmt = stmt.join(Reservation, Reservation.id == ReservationUnit.reservation_id).where(
            or_(
                Reservation.status != ReservationStatus.PENDING,
                Reservation.expires_at.is_(None),
                Reservation.expires_at > func.now(),
            )
        )
    return stmt


async def lock_listing_row(*, session: AsyncSession, listing_id: uuid.UUID) -> None:
    """The lock every slot hold takes before any unit (FOR NO KEY UPDATE, as the hold limits'
    check does): holds on one listing take units one transaction after another."""
    await session.execute(
        select(Listing.id).where(Listing.id == listing_id).with_for_update(key_share=True)
    )


async def candidate_units(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    kind: ListingKind,
    slot: Slot,
    party_size: int | None,
    buffers: Buffers = NO_BUFFERS,
) -> list[uuid.UUID]:
    """Units that fit and look free now (with `buffers` around the slot), in the order they
    are offered: for a party the smallest table that seats it first, else by position."""
    busy = busy_units(listing_id, slot, buffers=buffers)
    stmt = select(ListingUnit.id).where(
        ListingUnit.listing_id == listing_id, ListingUnit.id.not_in(busy)
    )
    if kind is ListingKind.RESTAURANT:
        stmt = stmt.where(ListingUnit.seats >= (party_size or 1)).order_by(
            ListingUnit.seats, ListingUnit.position
        )
    else:
        stmt = stmt.order_by(ListingUnit.position)
    return list((await session.execute(stmt)).scalars())


@dataclass(frozen=True, slots=True)
class ChosenUnit:
    id: uuid.UUID
    label: str
    seats: int | None
    free: bool


async def chosen_unit(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    kind: ListingKind,
    unit_id: uuid.UUID,
    slot: Slot,
    party_size: int | None,
    quantity: int,
    buffers: Buffers = NO_BUFFERS,
) -> ChosenUnit:
    """The unit (table) a booking asks for by id: NOT_FOUND unless it is the listing's,
    TABLE_TOO_SMALL when it does not seat the party; `free` says whether it looks free now
    (the exclusion constraint still decides)."""
    if quantity != 1:
        raise invalid("quantity", "A booking of a chosen unit takes that one unit: quantity 1.")
    free = ListingUnit.id.not_in(busy_units(listing_id, slot, buffers=buffers)).label("free")
    stmt = select(ListingUnit.id, ListingUnit.label, ListingUnit.seats, free).where(
        ListingUnit.id == unit_id, ListingUnit.listing_id == listing_id
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("unit", "unitId")
    unit = ChosenUnit(row.id, row.label, row.seats, bool(row.free))
    if kind is ListingKind.RESTAURANT and (unit.seats or 0) < (party_size or 1):
        raise DomainError(
            ErrorCode.TABLE_TOO_SMALL,
            f"{unit.label} seats {unit.seats or 0}; a party of {party_size} does not fit.",
            "unitId",
        )
    return unit


async def take_unit(
    *,
    session: AsyncSession,
    reservation_id: uuid.UUID,
    listing_id: uuid.UUID,
    unit_id: uuid.UUID,
    slot: Slot,
    buffers: Buffers,
) -> bool:
    """One unit for the reservation, or False (nothing written) when its buffered range
    collides with another holding one: the exclusion constraint decides. UNAVAILABLE (the
    transaction aborted) for a unit no longer the listing's: every caller locks the listing
    first, so only one that did not reaches the trigger (migration 0025)."""
    stmt = (
        insert(ReservationUnit)
        .values(
            reservation_id=reservation_id,
            unit_id=unit_id,
            listing_id=listing_id,
            during=during(slot),
            buffer_before_minutes=buffers.before,
            buffer_after_minutes=buffers.after,
            holding=True,
        )
        .on_conflict_do_nothing(constraint=NO_OVERLAP_CONSTRAINT)
        .returning(ReservationUnit.unit_id)
    )
    try:
        return (await session.execute(stmt)).one_or_none() is not None
    except IntegrityError as error:
        # The trigger's own message; the driver's error names its CONSTRAINT.
        driver_error = error.orig.__cause__ if error.orig is not None else None
        if getattr(driver_error, "constraint_name", None) == CURRENT_UNIT_CONSTRAINT:
            raise DomainError(
                ErrorCode.UNAVAILABLE, "That unit was removed from the listing meanwhile."
            ) from None
        raise


@dataclass(frozen=True, slots=True)
class SlotHold:
    """What a new slot reservation is: who, when, how many, and its state when made."""

    guest_id: uuid.UUID
    guest_name: str
    slot: Slot
    party_size: int | None
    quantity: int
    # PENDING for `hold_minutes`, or CONFIRMED at once (a host's booking for a guest).
    confirmed: bool = False
    hold_minutes: int = 15
    reservation_id: uuid.UUID | None = None
    special_requests: str | None = None
    # Who comes, when said (services/booking/guests.py): adults + children is the party.
    adults: int | None = None
    children: int | None = None
    # A voucher use taken in this transaction (services/vouchers/redeem.py), or None.
    voucher: Applied | None = None
    # E.164: the phone the booking was made with (reservations.guest_phone), or None.
    guest_phone: str | None = None

    @property
    def persons(self) -> int:
        people = None if self.adults is None else self.adults + (self.children or 0)
        return slot_persons(self.party_size, people, self.quantity)


async def take_units(
    *,
    session: AsyncSession,
    listing: Row[*tuple[Any, ...]],
    hold: SlotHold,
    candidates: list[uuid.UUID],
) -> ReservationRecord | None:
    """Insert the reservation and take `hold.quantity` of the candidates, in their order; the
    reservation, or None (nothing left behind) when others took too many of them meanwhile.
    `listing` is a row of the listing's columns."""
    if len(candidates) < hold.quantity:
        return None
    reservation_id = hold.reservation_id or new_id()
    zone = zone_info(listing.timezone)
    discount = None if hold.voucher is None else hold.voucher.discount
    total, snapshot = quote_slot(
        listing, hold.slot, hold.quantity, zone, discount=discount, persons=hold.persons
    )
    local_date = hold.slot.local_start.date()
    state: dict[str, Any] = (
        {"status": ReservationStatus.CONFIRMED, "confirmed_at": func.now(), "expires_at": None}
        if hold.confirmed
        else {
            "status": ReservationStatus.PENDING,
            "expires_at": func.now() + func.make_interval(0, 0, 0, 0, 0, hold.hold_minutes),
        }
    )
    inserted = (
        await session.execute(
            insert(Reservation)
            .values(
                id=reservation_id,
                listing_id=listing.id,
                guest_id=hold.guest_id,
                guest_name=hold.guest_name,
                guest_phone=hold.guest_phone,
                start_date=local_date,
                end_date=local_date + timedelta(days=1),
                starts_at=hold.slot.starts_at,
                ends_at=hold.slot.ends_at,
                party_size=hold.party_size,
                special_requests=hold.special_requests,
                adults=hold.adults,
                children=hold.children,
                quantity=hold.quantity,
                total_amount=total,
                tax_amount=tax_of(snapshot),
                voucher_id=None if hold.voucher is None else hold.voucher.voucher_id,
                currency=listing.currency,
                price_snapshot=snapshot,
                **state,
            )
            .returning(*RESERVATION_COLUMNS)
        )
    ).one()
    taken = 0
    for unit_id in candidates:
        if await take_unit(
            session=session,
            reservation_id=reservation_id,
            listing_id=listing.id,
            unit_id=unit_id,
            slot=hold.slot,
            buffers=Buffers.of(listing),
        ):
            taken += 1
            if taken == hold.quantity:
                return ReservationRecord(*inserted)
    # Taken meanwhile by others: no reservation without its units, even for a caller that
    # carries on in this transaction (its units taken so far go with it, by cascade).
    await session.execute(delete(Reservation).where(Reservation.id == reservation_id))
    return None
