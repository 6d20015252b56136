"""Reservations: booking, cancelling, and who may see which."""

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Select,
    Uuid,
    bindparam,
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import LateralFromClause, Subquery

from bookwell.core.errors import DomainError, ErrorCode, InputErrors
from bookwell.core.pagination import Page, PageRequest, PageShape, keyset, page_of
from bookwell.core.records import build_all
from bookwell.core.statements import AnyColumn, one_of
from bookwell.models import (
    IdempotencyKey,
    Listing,
    Reservation,
    ReservationStatus,
    new_id,
)
from bookwell.services.accounts.phones import normalized_phone
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.guests import NO_GUESTS, Guests
from bookwell.services.booking.holds import check_guest_name, check_hold_limits, place_hold
from bookwell.services.booking.idempotency import check_idempotency_key, stay_fingerprint
from bookwell.services.booking.origins import Origin, check_origin, record_origin
from bookwell.services.booking.overdue import expire_overdue_in_the_way
from bookwell.services.booking.records import (
    LISTED_COLUMNS,
    RESERVATION_COLUMNS,
    ReservationRecord,
)
from bookwell.services.booking.visibility import seen_by, visible_to
from bookwell.services.listings.stays import Stay, requested_stay
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event
from bookwell.services.vouchers.redeem import redeem


@dataclass(frozen=True, slots=True)
class NewReservation:
    listing_id: uuid.UUID
    start_date: date
    end_date: date | None = None
    nights: int | None = None
    quantity: int = 1
    guest_name: str | None = None
    # A booking without an account: where it came from (its unpaid holds are capped per IP).
    origin: Origin | None = None
    # Without an account, the guest's phone: this booking's own (reservations.guest_phone).
    guest_phone: str | None = None
    guests: Guests = NO_GUESTS
    # A host's voucher code (services/vouchers/redeem.py): its discount is a line item.
    voucher_code: str | None = None

    def fingerprint(self, booked: Stay) -> bytes:
        """What makes two requests "the same input" for an idempotency key: the stay they
        resolve to (`booked`, from this request's dates), however its end was given."""
        return stay_fingerprint(
            listing_id=self.listing_id,
            booked=booked,
            quantity=self.quantity,
            guest_name=self.guest_name,
            **self.guests.fingerprint(),
            voucher_code=self.voucher_code,
            guest_phone=self.guest_phone,
        )


def check_booking_input(
    *,
    start_date: date,
    end_date: date | None,
    nights: int | None,
    quantity: int,
    guest_name: str | None,
    idempotency_key: str | None,
) -> Stay:
    """The nights asked for, after every check of a booking that needs no database: all
    mistakes at once. The listing's own rules (its units, its today) are checked later."""
    found = InputErrors()
    booked = found.check(requested_stay, start_date, end_date, nights, quantity)
    found.check(check_guest_name, guest_name)
    if idempotency_key is not None:
        found.check(check_idempotency_key, idempotency_key)
    found.raise_if_any()
    assert booked is not None
    return booked


async def create_reservation(
    *,
    session: AsyncSession,
    guest: Principal,
    data: NewReservation,
    idempotency_key: str | None = None,
) -> ReservationRecord:
    """Hold `quantity` units on every night of the range (a PENDING reservation until paid
    or confirmed), or raise UNAVAILABLE, or HOLD_LIMIT past the listing's limits on unpaid
    holds. Overdue holds in its way are expired first, so they never refuse it
    (services/booking/overdue.py). See services/booking/holds.py."""
    booked = check_booking_input(
        start_date=data.start_date,
        end_date=data.end_date,
        nights=data.nights,
        quantity=data.quantity,
        guest_name=data.guest_name,
        idempotency_key=idempotency_key,
    )
    if idempotency_key is not None:
        replay = await claim_idempotency_key(
            session=session, guest=guest, key=idempotency_key, fingerprint=data.fingerprint(booked)
        )
        if replay is not None:
            return replay
    await check_hold_limits(
        session=session,
        listing_id=data.listing_id,
        guest_id=guest.user_id,
        booked=booked,
        quantity=data.quantity,
        nights_field="nights" if data.nights is not None else "endDate",
    )
    if data.origin is not None:
        await check_origin(session=session, origin=data.origin)
    # After the listing's lock (the order of overdue.py), before any night is taken.
    await expire_overdue_in_the_way(session=session, listing_id=data.listing_id, wanted=booked)
    # Under the voucher's row lock until the commit: its uses are counted one booking at a
    # time (a booking with a voucher keeps this ordinary transactional path).
    voucher = (
        None
        if data.voucher_code is None
        else await redeem(session=session, listing_id=data.listing_id, code=data.voucher_code)
    )
    reservation_id = new_id()
    if idempotency_key is not None:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.user_id == guest.user_id, IdempotencyKey.key == idempotency_key)
            .values(reservation_id=reservation_id)
        )
    row = await place_hold(
        session=session,
        listing_id=data.listing_id,
        guest_id=guest.user_id,
        booked=booked,
        quantity=data.quantity,
        guest_name=data.guest_name,
        guest_phone=None if data.guest_phone is None else normalized_phone(data.guest_phone),
        reservation_id=reservation_id,
        guests=data.guests,
        voucher=voucher,
    )
    if data.origin is not None:
        await record_origin(session=session, origin=data.origin, reservation_id=row.id)
    await outbox.record(session=session, event=Event.RESERVATION_CREATED, reservation_id=row.id)
    return row


async def claim_idempotency_key(
    *, session: AsyncSession, guest: Principal, key: str, fingerprint: bytes
) -> ReservationRecord | None:
    """Claim the key, or return the reservation made under it before.

    A concurrent request with the same key waits on the INSERT until the first one commits
    (then it replays its answer) or rolls back (then it proceeds as the first).
    """
    check_idempotency_key(key)
    claimed = await session.execute(
        insert(IdempotencyKey)
        .values(user_id=guest.user_id, key=key, request_hash=fingerprint)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if claimed.one_or_none() is not None:
        return None
    earlier = (
        await session.execute(
            select(IdempotencyKey.request_hash, IdempotencyKey.reservation_id).where(
                IdempotencyKey.user_id == guest.user_id, IdempotencyKey.key == key
            )
        )
    ).one()
    if earlier.request_hash != fingerprint:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used with a different input.",
            "idempotencyKey",
        )
    stmt = select(*RESERVATION_COLUMNS).where(Reservation.id == earlier.reservation_id)
    return ReservationRecord(*(await session.execute(stmt)).one())


async def listing_of(*, session: AsyncSession, reservation_id: uuid.UUID) -> uuid.UUID | None:
    """The listing of a reservation (None: no such reservation); says nothing of who may
    see it, so only for routing work (flows/listing_gate.py), never for an answer."""
    stmt = select(Reservation.listing_id).where(Reservation.id == reservation_id)
    return (await session.execute(stmt)).scalar_one_or_none()


def _visible(stmt: Select[*tuple[Any, ...]], viewer: Principal) -> Select[*tuple[Any, ...]]:
    condition = visible_to(viewer)
    return stmt if condition is None else stmt.where(condition)


async def reservations_by_ids(
    *, session: AsyncSession, viewer: Principal, ids: Sequence[uuid.UUID]
) -> list[ReservationRecord]:
    stmt = _visible(select(*RESERVATION_COLUMNS).where(Reservation.id.in_(ids)), viewer)
    return build_all(ReservationRecord, await session.execute(stmt))


# Pages of reservations leave out the price snapshot, the one large column (JSON to send and
# decode for every row); Reservation.price loads it for the rows that ask (price_snapshots).


async def price_snapshots(
    *, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """By reservation id; only asked for reservations the viewer was shown."""
    stmt = select(Reservation.id, Reservation.price_snapshot).where(Reservation.id.in_(ids))
    return {row.id: row.price_snapshot for row in await session.execute(stmt)}


def _filtered(
    viewer: Principal, listing_id: uuid.UUID | None, status: ReservationStatus | None
) -> Select[*tuple[Any, ...]]:
    stmt = _visible(select(*LISTED_COLUMNS), viewer)
    if listing_id is not None:
        stmt = stmt.where(Reservation.listing_id == listing_id)
    if status is not None:
        stmt = stmt.where(Reservation.status == status)
    return stmt


async def list_reservations(
    *,
    session: AsyncSession,
    viewer: Principal,
    listing_id: uuid.UUID | None,
    status: ReservationStatus | None,
    page: PageRequest,
) -> Page[ReservationRecord]:
    """Newest first."""
    stmt = keyset(_filtered(viewer, listing_id, status), Reservation.id, page, descending=True)
    return page_of(build_all(ReservationRecord, await session.execute(stmt)), page)


async def count_reservations(
    *,
    session: AsyncSession,
    viewer: Principal,
    listing_id: uuid.UUID | None,
    status: ReservationStatus | None,
) -> int:
    inner = _filtered(viewer, listing_id, status).subquery()
    return (await session.execute(select(func.count()).select_from(inner))).scalar_one()


async def pages_of_listings(
    *, session: AsyncSession, viewer: Principal, listing_ids: Sequence[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[ReservationRecord]]:
    """The same page (newest first) of each listing's reservations the viewer may see, in
    one query."""
    stmt = _pages_of_listings(page.shape, everything=viewer.is_admin)
    found: dict[uuid.UUID, list[ReservationRecord]] = {listing_id: [] for listing_id in listing_ids}
    rows = await session.execute(stmt, per_listing_params(viewer, listing_ids, page))
    for reservation in build_all(ReservationRecord, rows):
        found[reservation.listing_id].append(reservation)
    return {listing_id: page_of(rows, page) for listing_id, rows in found.items()}


@functools.cache
def _pages_of_listings(page: PageShape, *, everything: bool) -> Select[*tuple[Any, ...]]:
    """Built once per kind of page and viewer; the rest are bind parameters."""
    listings, lateral = page_per_listing(LISTED_COLUMNS, page, everything=everything)
    return select(lateral).select_from(listings.join(lateral, true()))


def per_listing_params(
    viewer: Principal, listing_ids: Sequence[uuid.UUID], page: PageRequest
) -> dict[str, Any]:
    # A manage link's bearer sees no listing's page (its one booking it reads by id): the
    # checkout user it acts for also holds that address's other bookings.
    seer = viewer.user_id if viewer.reservation_scope is None else NOBODY
    return {"listing_ids": list(listing_ids), "viewer": seer, **page.params()}


NOBODY = uuid.UUID(int=0)


async def count_of_listings(
    *, session: AsyncSession, viewer: Principal, listing_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many reservations the viewer may see on each listing."""
    if viewer.reservation_scope is not None:
        return dict.fromkeys(listing_ids, 0)  # as its pages (per_listing_params)
    stmt = _visible(select(Reservation.listing_id, func.count()), viewer)
    stmt = stmt.where(Reservation.listing_id.in_(listing_ids)).group_by(Reservation.listing_id)
    found: dict[uuid.UUID, int] = dict((await session.execute(stmt)).all())
    return {listing_id: found.get(listing_id, 0) for listing_id in listing_ids}


def page_per_listing(
    columns: Sequence[AnyColumn], page: PageShape, *, everything: bool
) -> tuple[Subquery, LateralFromClause]:
    """The listings whose ids are the `listing_ids` parameter, and a LATERAL page (newest
    first; the cursors and limit bound as PageRequest.params() names them) of `columns` of
    each one's reservations that the user in the `viewer` parameter may see (all of them
    when `everything`, for an admin): each walks the (listing_id, id) index and stops
    after the page."""
    listings = select(Listing.id).where(one_of(Listing.id, "listing_ids")).subquery("l")
    newest = select(*columns)
    if not everything:
        newest = newest.where(seen_by(bindparam("viewer", type_=Uuid)))
    newest = newest.where(Reservation.listing_id == listings.c.id)
    lateral = keyset(newest, Reservation.id, page, descending=True).lateral("r")
    return listings, lateral
