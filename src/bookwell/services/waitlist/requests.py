"""What a guest asks to wait for, and the per-listing lock every change of a listing's
waitlist (join, leave, offer) takes first, so they run one at a time per listing."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import WaitlistEntry, WaitlistStatus

# The first key of the two-key advisory lock ("WAIT"), so it cannot collide with other uses.
LOCK_SPACE = 0x57414954


@dataclass(frozen=True, slots=True)
class NewWaitlistEntry:
    """A stay's nights (start_date with end_date or nights), or a slot listing's window
    (starts_at, ends_at: None for a restaurant's sitting or one slot) and party."""

    listing_id: uuid.UUID
    start_date: date | None = None
    end_date: date | None = None
    nights: int | None = None
    quantity: int = 1
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    party_size: int | None = None
    # Who comes (services/booking/guests.py), carried into the offer's booking.
    adults: int | None = None
    children: int | None = None
    special_requests: str | None = None


async def lock_listing(*, session: AsyncSession, listing_id: uuid.UUID) -> None:
    """Until this transaction ends, no other join, leave or offer runs on this listing."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:listing))"),
        {"space": LOCK_SPACE, "listing": str(listing_id)},
    )


async def lock_and_check_not_waiting(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    user_id: uuid.UUID,
    same_wait: ColumnElement[bool],
    what: str,
) -> None:
    """Take the listing's waitlist lock, then ALREADY_EXISTS when the user already waits for
    the same thing there (`same_wait`: the same nights, or the same window)."""
    await lock_listing(session=session, listing_id=listing_id)
    waiting = select(WaitlistEntry.id).where(
        WaitlistEntry.listing_id == listing_id,
        WaitlistEntry.user_id == user_id,
        WaitlistEntry.status == WaitlistStatus.WAITING,
        same_wait,
    )
    if (await session.execute(waiting)).first() is not None:
        raise DomainError(
            ErrorCode.ALREADY_EXISTS, f"You are on the waitlist for this {what} already."
        )
