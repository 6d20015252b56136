"""Booking time slots: a table for a party at a time, or rooms and items for a range.

The guarantee is PostgreSQL's: the exclusion constraint on reservation_units refuses two
holding allocations of one unit whose ranges overlap. A booking takes its units with
`INSERT ... ON CONFLICT ON CONSTRAINT <exclusion> DO NOTHING`: a unit taken meanwhile inserts
nothing (after waiting for the other transaction, never in a deadlock), and the next candidate
is tried. Candidates are tried in one fixed order per listing, so two bookings of several
units never wait for each other in a cycle. Reading which units look free first only saves
attempts; it is never what keeps two bookings apart.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, invalid, not_found
from bookwell.core.zones import zone_info
from bookwell.models import (
    IdempotencyKey,
    Listing,
    ListingKind,
    ListingUnit,
    OutboxMessage,
    Reservation,
    ReservationStatus,
    User,
    new_id,
)
from bookwell.services.accounts.checkout import checkout_user
from bookwell.services.accounts.phones import normalized_phone
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.guests import checked_guests, slot_party
from bookwell.services.booking.holds import check_guest_name, check_slot_hold_limits
from bookwell.services.booking.idempotency import check_idempotency_key, input_fingerprint
from bookwell.services.booking.origins import Origin, check_origin, record_origin
from bookwell.services.booking.records import ReservationRecord
from bookwell.services.booking.reservations import claim_idempotency_key
from bookwell.services.listings.booking_rules import booking_rules_from_json, refuse_if_broken
from bookwell.services.listings.booking_rules_store import rules_json
from bookwell.services.listings.pricing import archived_error, taxes_json
from bookwell.services.listings.stays import check_quantity
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event
from bookwell.services.slots.buffers import Buffers
from bookwell.services.slots.host_bookings import (
    check_host_booking,
    check_host_booking_contact,
    check_host_contact_limits,
)
from bookwell.services.slots.rules import (
    check_party,
    check_party_size,
    default_minutes,
    hours_of,
)
from bookwell.services.slots.taking import (
    ChosenUnit,
    SlotHold,
    candidate_units,
    chosen_unit,
    lock_listing_row,
    take_units,
)
from bookwell.services.slots.times import Slot, check_bookable_now, requested_slot
from bookwell.services.vouchers.redeem import redeem


@dataclass(frozen=True, slots=True)
class NewSlotBooking:
    listing_id: uuid.UUID
    starts_at: datetime
    # None: a restaurant's sitting length, or one slot.
    ends_at: datetime | None = None
    party_size: int | None = None
    quantity: int = 1
    guest_name: str | None = None
    # This table (room, item) rather than the first free one that fits.
    unit_id: uuid.UUID | None = None
    # The listing's host (or an admin) books for the named guest: CONFIRMED at once.
    by_host: bool = False
    # A host's booking: the guest's address and phone; the booking is then that address's
    # checkout user's (services/accounts/checkout.py), not the host's. Without an account
    # (origin set) the guest's own phone. The phone is this booking's (guest_phone column).
    guest_email: str | None = None
    guest_phone: str | None = None
    # A booking without an account: where it came from (its unpaid holds are capped per IP).
    origin: Origin | None = None
    special_requests: str | None = None
    # Who comes (services/booking/guests.py): adults + children is the party (slot_party).
    adults: int | None = None
    children: int | None = None
    # A host's voucher code (services/vouchers/redeem.py): its discount is a line item.
    voucher_code: str | None = None

    def fingerprint(self) -> bytes:
        """What makes two requests "the same input" for an idempotency key."""
        fields = {
            "slot": str(self.listing_id),
            "startsAt": _instant(self.starts_at),
            "endsAt": _instant(self.ends_at) if self.ends_at else None,
            "partySize": self.party_size,
            "quantity": self.quantity,
            "guest_name": self.guest_name,
        }
        # Only when given, so keys claimed before these existed still match their requests.
        if self.unit_id is not None:
            fields["unitId"] = str(self.unit_id)
        if self.by_host:
            fields["byHost"] = True
        if self.special_requests is not None:
            fields["specialRequests"] = self.special_requests
        if self.adults is not None:
            fields["adults"] = self.adults
        if self.children is not None:
            fields["children"] = self.children
        if self.voucher_code:
            fields["voucher"] = self.voucher_code.strip().upper()
        if self.guest_email is not None:
            fields["guestEmail"] = self.guest_email.strip().lower()
        if self.guest_phone is not None:
            fields["guestPhone"] = self.guest_phone
        return input_fingerprint(fields)


def _instant(moment: datetime) -> str:
    """The same instant in any offset is the same input."""
    try:
        return (moment.astimezone(UTC) if moment.tzinfo else moment).isoformat()
    except OverflowError:  # no UTC instant (years 1 and 9999): refused after the key's claim
        return moment.isoformat()


def _listing_after_expiring(listing_id: uuid.UUID, guest_id: uuid.UUID) -> Select[*tuple[Any, ...]]:
    """The listing, the guest's name and its largest table, after expiring its overdue holds
    (each expiry told through the outbox, in the same statement).

    Overdue holds are locked in id order and waited for (not skipped): two bookings never
    expire holds the other then has to wait for, so they cannot wait for each other.
    """
    overdue = (
        select(Reservation.id)
        .where(
            Reservation.listing_id == listing_id,
            Reservation.status == ReservationStatus.PENDING,
            Reservation.expires_at <= func.now(),
        )
        .order_by(Reservation.id)
        .with_for_update()
    )
    expired = (
        update(Reservation)
        .where(
            Reservation.id.in_(overdue.scalar_subquery()),
            Reservation.status == ReservationStatus.PENDING,
        )
        .values(status=ReservationStatus.EXPIRED)
        .returning(Reservation.id)
        .cte("expired")
    )
    told = (
        insert(OutboxMessage)
        .from_select(
            ["event", "reservation_id"],
            select(literal(Event.RESERVATION_EXPIRED.value), expired.c.id),
        )
        .returning(OutboxMessage.id)
        .cte("told")
    )
    guest_name = select(User.name).where(User.id == guest_id).scalar_subquery()
    largest = select(func.max(ListingUnit.seats)).where(ListingUnit.listing_id == listing_id)
    return select(
        *Listing.__table__.c,
        guest_name.label("guest_user_name"),
        largest.scalar_subquery().label("largest_table"),
        rules_json(Listing.id).label("booking_rules"),
        taxes_json(Listing.id).label("taxes"),
        # Referencing the CTE makes it part of the statement; PostgreSQL runs it either way.
        select(func.count()).select_from(told).scalar_subquery().label("expired_holds"),
    ).where(Listing.id == listing_id)


def _unavailable(
    listing: Row[*tuple[Any, ...]],
    slot: Slot,
    party_size: int | None,
    quantity: int,
    unit: ChosenUnit | None = None,
) -> DomainError:
    when = (
        f"from {slot.local_start.isoformat(' ', 'minutes')} "
        f"to {slot.local_end.isoformat(' ', 'minutes')}"
    )
    if unit is not None:
        return DomainError(ErrorCode.UNAVAILABLE, f"{unit.label} is not free {when}.", "unitId")
    if listing.kind is ListingKind.RESTAURANT:
        return DomainError(ErrorCode.UNAVAILABLE, f"No table for {party_size} is free {when}.")
    return DomainError(ErrorCode.UNAVAILABLE, f"Not {quantity} unit(s) free {when}.")


def check_slot_booking_input(
    *,
    party_size: int | None,
    quantity: int,
    guest_name: str | None,
    idempotency_key: str | None,
    special_requests: str | None = None,
    adults: int | None = None,
    children: int | None = None,
) -> None:
    """The checks of a slot booking that need no listing: every mistake at once. The times
    and the listing's own rules (its grid, hours, tables, units) are checked with it."""
    found = InputErrors()
    found.check(check_party_size, party_size)
    found.check(check_quantity, quantity)
    found.check(check_guest_name, guest_name)
    guests = found.check(checked_guests, adults, children, special_requests)
    if guests is not None:
        found.check(slot_party, party_size, guests)
    if idempotency_key is not None:
        found.check(check_idempotency_key, idempotency_key)
    found.raise_if_any()


async def book_slot(
    *,
    session: AsyncSession,
    guest: Principal,
    data: NewSlotBooking,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> ReservationRecord:
    """A PENDING hold on a slot (units taken at once, returned at `expires_at` unless paid or
    confirmed), or UNAVAILABLE. Roll back after a DomainError, as after any; a refused
    booking leaves no reservation behind either way. `now` is for tests: it only moves what
    "in the past" means."""
    check_slot_booking_input(
        party_size=data.party_size,
        quantity=data.quantity,
        guest_name=data.guest_name,
        idempotency_key=idempotency_key,
        special_requests=data.special_requests,
        adults=data.adults,
        children=data.children,
    )
    guests = checked_guests(data.adults, data.children, data.special_requests)
    party = slot_party(data.party_size, guests)
    check_host_booking_contact(
        by_host=data.by_host,
        has_origin=data.origin is not None,
        guest_email=data.guest_email,
        guest_phone=data.guest_phone,
    )
    if idempotency_key is not None:
        replay = await claim_idempotency_key(
            session=session, guest=guest, key=idempotency_key, fingerprint=data.fingerprint()
        )
        if replay is not None:
            return replay
    listing = (
        await session.execute(_listing_after_expiring(data.listing_id, guest.user_id))
    ).one_or_none()
    if listing is None:
        raise not_found("listing", "listingId")
    if listing.kind is ListingKind.STAY:
        raise invalid("listingId", "A STAY listing books nights: use createReservation.")
    if listing.archived_at is not None:
        raise archived_error()  # services/listings/archive.py
    zone = zone_info(listing.timezone)
    slot = requested_slot(
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        zone=zone,
        hours=hours_of(listing),
        step_minutes=listing.slot_minutes,
        default_minutes=default_minutes(listing),
    )
    check_bookable_now(slot, now or datetime.now(UTC))
    if not data.by_host:  # the host's own booking (a walk-in, a call) is theirs to allow
        rules = booking_rules_from_json(listing.booking_rules)
        refuse_if_broken(rules, slot.starts_at, slot.ends_at, listing.timezone, now=now)
    guests_field = "partySize" if data.party_size is not None else "adults"
    check_party(listing, party, data.quantity, listing.largest_table or 0, guests_field)
    name = check_guest_name(data.guest_name) or listing.guest_user_name
    guest_id = guest.user_id
    if data.by_host:
        check_host_booking(listing, guest, data.guest_name)
        if data.guest_email is not None:
            assert data.guest_name is not None  # check_host_booking
            guest_id = await checkout_user(
                session=session, email=data.guest_email, name=data.guest_name
            )
            await check_host_contact_limits(
                session=session, owner_id=listing.owner_id, guest_id=guest_id
            )
        # The host's own listing: no unpaid-hold limits (the booking is confirmed at once),
        # but the same listing lock every hold takes before its units.
        await lock_listing_row(session=session, listing_id=listing.id)
    else:
        # Before any unit is taken: every hold on a listing locks the listing first.
        await check_slot_hold_limits(
            session=session, listing_id=listing.id, guest_id=guest.user_id, quantity=data.quantity
        )
        if data.origin is not None:
            await check_origin(session=session, origin=data.origin)
    # After the listing's lock, under the voucher's row lock until the commit, as a stay's
    # (services/booking/reservations.py): its uses are counted one booking at a time.
    voucher = (
        None
        if data.voucher_code is None
        else await redeem(session=session, listing_id=listing.id, code=data.voucher_code)
    )

    unit = None
    if data.unit_id is not None:
        unit = await chosen_unit(
            session=session,
            listing_id=listing.id,
            kind=listing.kind,
            unit_id=data.unit_id,
            slot=slot,
            party_size=party,
            quantity=data.quantity,
            buffers=Buffers.of(listing),
        )
        candidates = [unit.id] if unit.free else []
    else:
        candidates = await candidate_units(
            session=session,
            listing_id=listing.id,
            kind=listing.kind,
            slot=slot,
            party_size=party,
            buffers=Buffers.of(listing),
        )
    if len(candidates) < data.quantity:
        raise _unavailable(listing, slot, party, data.quantity, unit)
    reservation_id = new_id()
    if idempotency_key is not None:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.user_id == guest.user_id, IdempotencyKey.key == idempotency_key)
            .values(reservation_id=reservation_id)
        )
    hold = SlotHold(
        guest_id=guest_id,
        guest_name=name,
        slot=slot,
        party_size=party,
        quantity=data.quantity,
        confirmed=data.by_host,
        hold_minutes=listing.hold_minutes,
        reservation_id=reservation_id,
        special_requests=guests.special_requests,
        adults=guests.adults,
        children=guests.children,
        voucher=voucher,
        guest_phone=None if data.guest_phone is None else normalized_phone(data.guest_phone),
    )
    reservation = await take_units(
        session=session, listing=listing, hold=hold, candidates=candidates
    )
    if reservation is None:
        raise _unavailable(listing, slot, party, data.quantity, unit)
    if data.origin is not None:
        await record_origin(session=session, origin=data.origin, reservation_id=reservation.id)
    event = Event.RESERVATION_CONFIRMED if data.by_host else Event.RESERVATION_CREATED
    await outbox.record(session=session, event=event, reservation_id=reservation.id)
    return reservation
