"""Calendar blocks in the database: reservations with an `external_uid`.

A block is CONFIRMED, has no guest and costs nothing; it takes its units through the same
inventory trigger and capacity CHECK as any booking, so a block that does not fit fails
exactly like a booking would. Blocks are written straight into `reservations`, not through
`create_reservation`: no outbox event, nobody is emailed about a block. A block that leaves
its calendar is CANCELLED (its units free at once, its row kept as history); if the event
comes back, the same row is made CONFIRMED again (one block per listing and UID). So is a
block the host cancelled by hand while its event is still in the calendar: the calendar is
the truth, and a block is undone where it came from.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import HOLDING_STATUSES, Reservation, ReservationStatus, new_id
from bookwell.services.calendar_plan import WantedBlock
from bookwell.services.holds import RESERVATION_COLUMNS, is_capacity_error

# The first key of the two-key advisory lock ("CALI"), apart from the waitlist's ("WAIT").
LOCK_SPACE = 0x43414C49
MAX_REASON = 500


async def lock_listing_imports(session: AsyncSession, listing_id: uuid.UUID) -> None:
    """Until this transaction ends, no other import runs on this listing: two imports of
    one calendar at once would both create its new blocks."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:listing))"),
        {"space": LOCK_SPACE, "listing": str(listing_id)},
    )


async def blocks_to_compare(
    session: AsyncSession, *, listing_id: uuid.UUID, source: str, uids: Sequence[str]
) -> list[Row]:
    """The listing's blocks from `source` and those with one of `uids`, locked."""
    stmt = (
        select(*RESERVATION_COLUMNS)
        .where(
            Reservation.listing_id == listing_id,
            Reservation.external_uid.is_not(None),
            or_(Reservation.external_source == source, Reservation.external_uid.in_(uids)),
        )
        .order_by(Reservation.start_date, Reservation.id)
        .with_for_update()
    )
    return list((await session.execute(stmt)).all())


async def create_block(
    session: AsyncSession,
    *,
    listing_id: uuid.UUID,
    currency: str,
    block: WantedBlock,
    source: str,
    quantity: int,
) -> bool:
    """Insert the block; False when its nights lack the units (nothing written)."""
    stmt = insert(Reservation).values(
        id=new_id(),
        listing_id=listing_id,
        guest_id=None,
        guest_name=block.guest_name,
        start_date=block.start,
        end_date=block.end,
        quantity=quantity,
        status=ReservationStatus.CONFIRMED,
        total_amount=Decimal(0),
        currency=currency,
        confirmed_at=func.now(),
        external_uid=block.uid,
        external_source=source,
    )
    return await _fits(session, stmt)


async def move_block(
    session: AsyncSession, *, block_id: uuid.UUID, block: WantedBlock, source: str, quantity: int
) -> bool:
    """One UPDATE: the trigger frees the old nights and takes the new ones together. A
    cancelled block becomes CONFIRMED again. False when the new nights lack the units."""
    holding = Reservation.status.in_(HOLDING_STATUSES)
    stmt = (
        update(Reservation)
        .where(Reservation.id == block_id)
        .values(
            start_date=block.start,
            end_date=block.end,
            quantity=quantity,
            guest_name=block.guest_name,
            external_source=source,
            status=case((holding, Reservation.status), else_=ReservationStatus.CONFIRMED),
            confirmed_at=case((holding, Reservation.confirmed_at), else_=func.now()),
            cancelled_at=case((holding, Reservation.cancelled_at), else_=None),
            cancel_reason=case((holding, Reservation.cancel_reason), else_=None),
            checked_out_at=case((holding, Reservation.checked_out_at), else_=None),
        )
    )
    return await _fits(session, stmt)


async def cancel_block(session: AsyncSession, *, block_id: uuid.UUID, reason: str) -> None:
    """CANCELLED: the units free at once."""
    await session.execute(
        update(Reservation)
        .where(Reservation.id == block_id, Reservation.status.in_(HOLDING_STATUSES))
        .values(
            status=ReservationStatus.CANCELLED,
            cancelled_at=func.now(),
            cancel_reason=reason[:MAX_REASON],
        )
    )


async def _fits(session: AsyncSession, stmt) -> bool:
    """Run a statement that takes units in a savepoint: a capacity failure undoes it alone
    and answers False, and the transaction goes on."""
    try:
        async with session.begin_nested():
            await session.execute(stmt)
    except IntegrityError as error:
        if is_capacity_error(error):
            return False
        raise
    return True


def first_night(block: WantedBlock, row: Row | None = None) -> date:
    """Where a change begins: changes are applied in this order so that, as everywhere,
    nights are locked in date order."""
    return block.start if row is None else min(block.start, row.start_date)
