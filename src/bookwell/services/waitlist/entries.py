"""Reading waitlist entries: each with its offer hold's state and its place in the queue."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bookwell.core.pagination import Page, PageRequest, keyset, page_of
from bookwell.core.records import build_all, columns_for
from bookwell.models import Reservation, ReservationStatus, WaitlistEntry, WaitlistStatus
from bookwell.services.accounts.principal import Principal

# An offer hold in one of these states was taken up; in one of the others it is over.
TAKEN_UP = (
    ReservationStatus.CONFIRMED,
    ReservationStatus.ACTIVE,
    ReservationStatus.COMPLETED,
    ReservationStatus.NO_SHOW,  # confirmed first: the offer was taken up
)
ENDED = (ReservationStatus.EXPIRED, ReservationStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class WaitlistEntryRecord:
    id: uuid.UUID
    created_at: datetime
    listing_id: uuid.UUID
    user_id: uuid.UUID
    start_date: date
    end_date: date
    quantity: int
    status: WaitlistStatus
    reservation_id: uuid.UUID | None
    offered_at: datetime | None
    # Slot listings: the window wanted and the party (None for stays).
    starts_at: datetime | None
    ends_at: datetime | None
    party_size: int | None
    adults: int | None
    children: int | None
    special_requests: str | None
    # The offer hold's status (None: no offer), and whether it is past its expiry.
    hold_status: ReservationStatus | None
    hold_overdue: bool
    # Place in the queue among the listing's WAITING entries (1: next).
    position: int


def entries() -> Select[*tuple[Any, ...]]:
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
    columns = columns_for(
        WaitlistEntryRecord,
        entry.__table__,
        hold_status=Reservation.status,
        hold_overdue=func.coalesce(Reservation.expires_at <= func.now(), False),
        position=position,
    )
    return select(*columns).outerjoin(Reservation, Reservation.id == entry.reservation_id)


def effective_status(row: WaitlistEntryRecord) -> WaitlistStatus:
    """The entry's status as of now: an OFFERED entry whose hold was confirmed is BOOKED, one
    whose hold ended (or is overdue) LAPSED, even before an offerer has settled it."""
    if row.status is not WaitlistStatus.OFFERED or row.hold_status is None:
        return row.status
    if row.hold_status in TAKEN_UP:
        return WaitlistStatus.BOOKED
    if row.hold_status in ENDED or row.hold_overdue:
        return WaitlistStatus.LAPSED
    return WaitlistStatus.OFFERED


async def entry_by_id(*, session: AsyncSession, entry_id: uuid.UUID) -> WaitlistEntryRecord:
    stmt = entries().where(WaitlistEntry.id == entry_id)
    return WaitlistEntryRecord(*(await session.execute(stmt)).one())


async def entries_by_ids(
    *, session: AsyncSession, ids: list[uuid.UUID]
) -> list[WaitlistEntryRecord]:
    stmt = entries().where(WaitlistEntry.id.in_(ids)).order_by(WaitlistEntry.id)
    return build_all(WaitlistEntryRecord, await session.execute(stmt))


async def list_entries(
    *, session: AsyncSession, owner: Principal, page: PageRequest
) -> Page[WaitlistEntryRecord]:
    """The principal's own entries, newest first."""
    stmt = entries().where(WaitlistEntry.user_id == owner.user_id)
    stmt = keyset(stmt, WaitlistEntry.id, page, descending=True)
    return page_of(build_all(WaitlistEntryRecord, await session.execute(stmt)), page)


async def count_entries(*, session: AsyncSession, owner: Principal) -> int:
    stmt = select(func.count()).where(WaitlistEntry.user_id == owner.user_id)
    return (await session.execute(stmt)).scalar_one()
