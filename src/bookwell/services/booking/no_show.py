"""The no-show outcome: a CONFIRMED booking whose guest never came becomes NO_SHOW.

Two ways in:
- the host (or an admin) marks it, from the instant the reservation begins (the first day's
  check-in time, or a slot's start) until it ends (the last day's check-out time, or the
  slot's end), both in the listing's timezone. A CONFIRMED reservation may be marked; so may
  an ACTIVE one at a listing that does not track arrivals, where the clock checked the guest
  in by itself (services/booking/clock.py) and ACTIVE says nothing about an arrival. At a
  listing that tracks arrivals, ACTIVE means the host checked the guest in: refused.
- the scheduler (`mark_due_no_shows`): at a listing with `auto_no_show_after_hours` set
  (it tracks arrivals: the clock leaves its guests to the host's checkIn), a CONFIRMED
  reservation that was not checked in that many hours after it began, or by its end if that
  comes first, is marked NO_SHOW.

NO_SHOW does not hold units: the inventory trigger frees them in the same statement (the
nights still ahead may be booked again at once). What it refunds is the payments service's
rule (services/payments/no_show.py): nothing of the price. Each change records one
`reservation.no_show` outbox event; data `by` says who marked it ("host" | "clock").
"""

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, not_found
from bookwell.models import Listing, Reservation, ReservationStatus
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking.clock import NOT_A_BLOCK, begins_at, ends_at
from bookwell.services.booking.records import RESERVATION_COLUMNS, ReservationRecord
from bookwell.services.booking.visibility import visible_to
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event

CONFIRMED = ReservationStatus.CONFIRMED
ACTIVE = ReservationStatus.ACTIVE
NO_SHOW = ReservationStatus.NO_SHOW
MAX_GRACE_HOURS = 720


def tracks_arrivals() -> ColumnElement[bool]:
    """The listing (joined) waits for the host's check-in and marks no-shows by itself."""
    return Listing.auto_no_show_after_hours.is_not(None)


def _markable() -> ColumnElement[bool]:
    """CONFIRMED, or ACTIVE only where the clock (not the host) checked the guest in."""
    return or_(
        Reservation.status == CONFIRMED,
        (Reservation.status == ACTIVE) & ~tracks_arrivals(),
    )


def _no_show_values() -> dict[str, object]:
    return {"status": NO_SHOW, "no_show_at": func.now(), "expires_at": None}


async def mark_no_show(
    *, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRecord:
    """The host marks a guest who never came; one guarded UPDATE (a racing check-in, check-out
    or clock either wins or leaves this nothing to do, answered INVALID_STATE)."""
    now = func.now()
    hosted = None if principal.is_admin else Listing.owner_id == principal.user_id
    conditions = [
        Reservation.id == reservation_id,
        Reservation.listing_id == Listing.id,
        NOT_A_BLOCK,
        _markable(),
        begins_at() <= now,
        ends_at() >= now,
    ]
    if hosted is not None:
        conditions.append(hosted)
    stmt = (
        update(Reservation)
        .where(*conditions)
        .values(**_no_show_values())
        .returning(*RESERVATION_COLUMNS)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is not None:
        marked = ReservationRecord(*row)
        await outbox.record(
            session=session,
            event=Event.RESERVATION_NO_SHOW,
            reservation_id=marked.id,
            data={"by": "host"},
        )
        return marked
    raise await _why_not(session=session, principal=principal, reservation_id=reservation_id)


async def _why_not(
    *, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> DomainError:
    stmt = select(
        Reservation.status,
        Listing.owner_id == principal.user_id,
        tracks_arrivals(),
        begins_at() > func.now(),
        func.timezone(Listing.timezone, begins_at()),
        func.timezone(Listing.timezone, ends_at()),
        Reservation.external_uid.is_not(None),
    ).where(Reservation.id == reservation_id, Reservation.listing_id == Listing.id)
    condition = visible_to(principal)
    if condition is not None:
        stmt = stmt.where(condition)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("reservation")
    status, is_host, tracked, not_yet, local_begin, local_end, block = row
    if not (is_host or principal.is_admin):
        return DomainError(ErrorCode.FORBIDDEN, "Only the listing's host can mark a no-show.", "id")
    if block:
        return DomainError(ErrorCode.INVALID_STATE, "A calendar block has no guest.", "id")
    if status is ACTIVE and tracked:
        return DomainError(
            ErrorCode.INVALID_STATE, "The guest was checked in: not a no-show.", "id"
        )
    if status not in (CONFIRMED, ACTIVE):
        return DomainError(
            ErrorCode.INVALID_STATE,
            f"A {status.value} reservation cannot be marked a no-show.",
            "id",
        )
    if not_yet:
        return DomainError(
            ErrorCode.INVALID_STATE,
            f"A no-show can be marked from {_local(local_begin)} (listing time).",
            "id",
        )
    return DomainError(
        ErrorCode.INVALID_STATE,
        f"The reservation ended at {_local(local_end)} (listing time): too late for a no-show.",
        "id",
    )


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _due() -> ColumnElement[datetime]:
    """When a tracked reservation not checked in becomes a no-show (needs Listing joined)."""
    grace = func.make_interval(0, 0, 0, 0, Listing.auto_no_show_after_hours)
    return func.least(begins_at() + grace, ends_at())


async def mark_due_no_shows(*, session: AsyncSession, limit: int = 1000) -> list[ReservationRecord]:
    """CONFIRMED -> NO_SHOW at listings that track arrivals, once the grace time (or the end)
    passed without a check-in; the reservations marked, each with a `reservation.no_show`
    event (by clock).

    NO_SHOW frees the nights, so, as in `clock.complete_due_stays`, each reservation changes
    in a statement of its own, in (listing, first night) order, after locking the due rows
    with SKIP LOCKED: several schedulers share the work and a host's check-in racing this
    either wins (then nothing is left here) or waits and finds it NO_SHOW.
    """
    due = (
        select(Reservation.id)
        .where(
            Reservation.listing_id == Listing.id,
            Reservation.status == CONFIRMED,
            Reservation.checked_in_at.is_(None),
            NOT_A_BLOCK,
            tracks_arrivals(),
            _due() <= func.now(),
        )
        .order_by(Reservation.listing_id, Reservation.start_date, Reservation.id)
        .limit(limit)
        .with_for_update(of=Reservation, skip_locked=True)
    )
    marked: list[ReservationRecord] = []
    for reservation_id in (await session.execute(due)).scalars().all():
        stmt = (
            update(Reservation)
            .where(Reservation.id == reservation_id, Reservation.status == CONFIRMED)
            .values(**_no_show_values())
            .returning(*RESERVATION_COLUMNS)
        )
        marked.extend(ReservationRecord(*row) for row in await session.execute(stmt))
    await outbox.record_each(
        session=session,
        event=Event.RESERVATION_NO_SHOW,
        reservation_ids=[row.id for row in marked],
        data={"by": "clock"},
    )
    return marked


async def set_policy(
    *,
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    auto_no_show_after_hours: int | None,
) -> int | None:
    """The host sets (or, with None, switches off) the listing's automatic no-shows; the
    setting as stored. NOT_FOUND for a listing that is not theirs (an admin: any)."""
    if auto_no_show_after_hours is not None and not (
        1 <= auto_no_show_after_hours <= MAX_GRACE_HOURS
    ):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"autoNoShowAfterHours is between 1 and {MAX_GRACE_HOURS}, or null (off).",
            "autoNoShowAfterHours",
        )
    stmt = (
        update(Listing)
        .where(Listing.id == listing_id)
        .values(auto_no_show_after_hours=auto_no_show_after_hours)
        .returning(Listing.auto_no_show_after_hours)
    )
    if not principal.is_admin:
        stmt = stmt.where(Listing.owner_id == principal.user_id)
    found = (await session.execute(stmt)).one_or_none()
    if found is None:
        raise not_found("listing", "listingId")
    return found[0]


async def policies(
    *, session: AsyncSession, listing_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int | None]:
    """Each listing's `auto_no_show_after_hours` (a dataloader's batch)."""
    stmt = select(Listing.id, Listing.auto_no_show_after_hours).where(Listing.id.in_(listing_ids))
    return {row.id: row.auto_no_show_after_hours for row in await session.execute(stmt)}
