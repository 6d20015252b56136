"""An entry offered a hold: the one write both waitlists (stays and slots) end with."""

import uuid

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import WaitlistEntry, WaitlistStatus
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event


async def mark_offered(
    *, session: AsyncSession, entry_id: uuid.UUID, reservation_id: uuid.UUID
) -> bool:
    """The WAITING entry is OFFERED the hold `reservation_id`, and the offer is told through
    the outbox; False when the entry was no longer waiting (left meanwhile)."""
    marked = await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .values(status=WaitlistStatus.OFFERED, reservation_id=reservation_id, offered_at=func.now())
        .returning(WaitlistEntry.id)
    )
    if marked.first() is None:
        return False
    await outbox.record(
        session=session,
        event=Event.WAITLIST_OFFERED,
        reservation_id=reservation_id,
        waitlist_entry_id=entry_id,
    )
    return True
