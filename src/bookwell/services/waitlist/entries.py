"""Reading waitlist entries: each with its offer hold's state and its place in the queue."""

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bookwell.core.pagination import Page, PageRequest, keyset, page_of
from bookwell.models import Reservation, ReservationStatus, WaitlistEntry, WaitlistStatus
from bookwell.services.accounts.principal import Principal

# An offer hold in one of these states was taken up; in one of the others it is over.
TAKEN_UP = (ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE, ReservationStatus.COMPLETED)
ENDED = (ReservationStatus.EXPIRED, ReservationStatus.CANCELLED)


def entries() -> Select:
    """Entries with their offer hold's state and, while waiting, their place in the queue."""
    entry = WaitlistEntry
    ahead = aliased(WaitlistEntry)
    position = (
        select(func.count())
        .where(
            ahead.listing_id == entry.listing_id,
            ahead.status == WaitlistStatus.WAITING,
            ahead.id <= entry.id,
        )
        .scalar_subquery()
    )
    return select(
        *entry.__table__.c,
        Reservation.status.label("hold_status"),
        func.coalesce(Reservation.expires_at <= func.now(), False).label("hold_overdue"),
        position.label("position"),
    ).outerjoin(Reservation, Reservation.id == entry.reservation_id)


def effective_status(row: Row) -> WaitlistStatus:
    """The entry's status as of now: an OFFERED entry whose hold was confirmed is BOOKED, one
    whose hold ended (or is overdue) LAPSED, even before an offerer has settled it."""
    if row.status is not WaitlistStatus.OFFERED or row.hold_status is None:
        return row.status
    if row.hold_status in TAKEN_UP:
        return WaitlistStatus.BOOKED
    if row.hold_status in ENDED or row.hold_overdue:
        return WaitlistStatus.LAPSED
    return WaitlistStatus.OFFERED


async def entry_by_id(*, session: AsyncSession, entry_id: uuid.UUID) -> Row:
    return (await session.execute(entries().where(WaitlistEntry.id == entry_id))).one()


async def entries_by_ids(*, session: AsyncSession, ids: list[uuid.UUID]) -> list[Row]:
    stmt = entries().where(WaitlistEntry.id.in_(ids)).order_by(WaitlistEntry.id)
    return list((await session.execute(stmt)).all())


async def list_entries(*, session: AsyncSession, owner: Principal, page: PageRequest) -> Page[Row]:
    """The principal's own entries, newest first."""
    stmt = entries().where(WaitlistEntry.user_id == owner.user_id)
    stmt = keyset(stmt, WaitlistEntry.id, page, descending=True)
    return page_of((await session.execute(stmt)).all(), page)


async def count_entries(*, session: AsyncSession, owner: Principal) -> int:
    stmt = select(func.count()).where(WaitlistEntry.user_id == owner.user_id)
    return (await session.execute(stmt)).scalar_one()
