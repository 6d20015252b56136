"""Calendar blocks in the database: reservations with an `external_uid`.

A block is CONFIRMED, has no guest and costs nothing; it takes its units through the same
inventory trigger and capacity CHECK as any booking, so a block that does not fit fails
exactly like a booking would. Blocks are written straight into `reservations`, not through
`create_reservation`: no outbox event, nobody is emailed about a block. A block that leaves
its calendar is CANCELLED (its units free at once, its row kept as history); if the event
comes back, the same row is made CONFIRMED again (one block per listing and UID). So is a
block the host cancelled by hand while its event is still in the calendar: the calendar is
the truth, and a block is undone where it came from. A block under way whose event is gone
ends today instead: its past nights stay booked, as they were.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from bookwell.core.records import build_all
from bookwell.models import HOLDING_STATUSES, Reservation, ReservationStatus, new_id
from bookwell.services.booking.holds import is_capacity_error
from bookwell.services.booking.records import RESERVATION_COLUMNS, ReservationRecord
from bookwell.services.calendar.plan import WantedBlock

# The first key of the two-key advisory lock ("CALI"), apart from the waitlist's ("WAIT").
LOCK_SPACE = 0x43414C49
MAX_REASON = 500
# How far an echo is followed: a block of a block ... of one of the listing's reservations.
MAX_ECHO_DEPTH = 8

# Reservations, among :ids, that are the listing's own, or blocks imported (from Bookwell
# feeds, `{id}@bookwell`) of blocks ... of the listing's own: two listings that import each
# other's feeds must not block their own nights again. The CASE keeps the uuid cast from
# running on UIDs of other calendars.
_OWN_OR_ECHOED = text(
    """
    WITH RECURSIVE chain (root, listing_id, external_uid, depth) AS (
        SELECT id, listing_id, external_uid, 0 FROM reservations
        WHERE id = ANY(CAST(:ids AS uuid[]))
      UNION ALL
        SELECT chain.root, r.listing_id, r.external_uid, chain.depth + 1
        FROM chain JOIN reservations r ON r.id = CASE
            WHEN chain.external_uid ~ :pattern
            THEN CAST(split_part(chain.external_uid, '@', 1) AS uuid)
        END
        WHERE chain.depth < :max_depth
    )
    SELECT DISTINCT root FROM chain WHERE listing_id = :listing_id
    """
)
_BOOKWELL_UID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@bookwell$"


async def lock_listing_imports(*, session: AsyncSession, listing_id: uuid.UUID) -> None:
    """Until this transaction ends, no other import runs on this listing: two imports of
    one calendar at once would both create its new blocks."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:listing))"),
        {"space": LOCK_SPACE, "listing": str(listing_id)},
    )


async def own_reservations(
    *, session: AsyncSession, listing_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `ids` (reservations named by Bookwell feeds' UIDs) that are this listing's
    own, or echoes of them."""
    if not ids:
        return set()
    rows = await session.execute(
        _OWN_OR_ECHOED,
        {
            "ids": list(ids),
            "listing_id": listing_id,
            "pattern": _BOOKWELL_UID,
            "max_depth": MAX_ECHO_DEPTH,
        },
    )
    return set(rows.scalars())


async def blocks_to_compare(
    *, session: AsyncSession, listing_id: uuid.UUID, source: str, uids: Sequence[str]
) -> list[ReservationRecord]:
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
    return build_all(ReservationRecord, await session.execute(stmt))


async def create_block(
    *,
    session: AsyncSession,
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
    return await _fits(session=session, stmt=stmt)


async def move_block(
    *, session: AsyncSession, block_id: uuid.UUID, block: WantedBlock, source: str, quantity: int
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
    return await _fits(session=session, stmt=stmt)


async def cancel_block(*, session: AsyncSession, block_id: uuid.UUID, reason: str) -> None:
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


async def end_block(*, session: AsyncSession, block_id: uuid.UUID, today: date) -> None:
    """Its nights from today on free; those before stay booked (it began before today)."""
    await session.execute(
        update(Reservation)
        .where(
            Reservation.id == block_id,
            Reservation.status.in_(HOLDING_STATUSES),
            Reservation.start_date < today,
        )
        .values(end_date=today)
    )


async def _fits(*, session: AsyncSession, stmt: Executable) -> bool:
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


def first_night(block: WantedBlock, row: ReservationRecord | None = None) -> date:
    """Where a change begins: changes are applied in this order so that, as everywhere,
    nights are locked in date order."""
    return block.start if row is None else min(block.start, row.start_date)
