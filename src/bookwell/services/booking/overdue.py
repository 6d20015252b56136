"""Overdue holds in a stay's way are expired by the transaction that wants their nights.

An overdue hold (PENDING past `expires_at`, not swept yet) still counts in listing_nights,
so a booking or a change of dates that needs its units expires it first, in its own
transaction, before taking any night. It waits for the hold's row lock rather than skipping
it: whoever holds it (the sweep, another booking, a payment at the deadline) commits or
rolls back first, and the re-check then sees what they left. Skipping made concurrent
bookers and the sweep each believe someone else freed the units and answer UNAVAILABLE
while units were free (issue 16, item 4).

Lock order, the same in every caller: the listing's row (bookings), the overdue holds in id
order, then every night this transaction will write in date order (one ordered upsert, as
the inventory trigger's own), so expiring holds whose ranges reach past the stay never
takes nights out of order with a cancellation, the sweep or the waitlist.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Reservation, ReservationStatus
from bookwell.services.listings.stays import Stay
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event

LOCK_NIGHTS = text("""
    INSERT INTO listing_nights AS n (listing_id, night, units, booked)
    SELECT l.id, d.night, l.units, 0
      FROM (
        SELECT DISTINCT g::date AS night
          FROM unnest(CAST(:starts AS date[]), CAST(:ends AS date[])) AS r(first, after)
         CROSS JOIN generate_series(r.first, r.after - 1, interval '1 day') g
      ) d
      JOIN listings l ON l.id = :listing
     ORDER BY d.night
    ON CONFLICT (listing_id, night) DO UPDATE SET booked = n.booked
""")


async def expire_overdue_in_the_way(
    *,
    session: AsyncSession,
    listing_id: uuid.UUID,
    wanted: Stay,
    also_writing: Sequence[Stay] = (),
) -> list[uuid.UUID]:
    """Expire the listing's overdue holds that share a night with `wanted` (each told
    through the outbox), first locking in date order every night of them, of `wanted` and
    of `also_writing` (what else this transaction will change: a change of dates' old
    nights); the holds expired. Costs one statement when there is none."""
    overdue = (
        select(Reservation.id, Reservation.start_date, Reservation.end_date)
        .where(
            Reservation.listing_id == listing_id,
            Reservation.status == ReservationStatus.PENDING,
            Reservation.expires_at <= func.now(),
            Reservation.starts_at.is_(None),  # a stay's hold: slots expire their own
            Reservation.start_date < wanted.end,
            Reservation.end_date > wanted.start,
        )
        .order_by(Reservation.id)
        .with_for_update(key_share=True)
    )
    found = (await session.execute(overdue)).all()
    if not found:
        return []
    ranges = [wanted, *also_writing, *(Stay(row.start_date, row.end_date) for row in found)]
    await session.execute(
        LOCK_NIGHTS,
        {
            "listing": listing_id,
            "starts": [stay.start for stay in ranges],
            "ends": [stay.end for stay in ranges],
        },
    )
    stmt = (
        update(Reservation)
        .where(
            Reservation.id.in_([row.id for row in found]),
            Reservation.status == ReservationStatus.PENDING,
        )
        .values(status=ReservationStatus.EXPIRED)
        .returning(Reservation.id)
    )
    expired = list((await session.execute(stmt)).scalars())
    await outbox.record_each(
        session=session, event=Event.RESERVATION_EXPIRED, reservation_ids=expired
    )
    return expired
