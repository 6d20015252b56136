"""Two date changes of one reservation at once (issue 16, item 9): each
`reservation.changed` event records the dates as they were right before its own change, read
under the row's lock, so the events chain: the later one's old dates are the earlier one's
new dates, never both the dates from before the race."""

import asyncio
from datetime import date, timedelta

from sqlalchemy import text

from bookwell.flows import booking as booking_flows
from bookwell.services.payments import BuiltinProvider
from tests.factories import MANY_HOLDS, book, make_listing

PAIRS = 30
START = date.today() + timedelta(days=40)
EARLIER = START + timedelta(days=30)
LATER = START + timedelta(days=60)


async def test_racing_date_changes_record_the_dates_each_one_changed(db, host, guest):
    listing_id = await make_listing(db, host, units=PAIRS, **MANY_HOLDS)
    ids = [
        (await book(db, guest, listing_id, START, nights=2, confirmed=True)).id
        for _ in range(PAIRS)
    ]
    provider = BuiltinProvider()

    def move(reservation_id, to: date):
        return booking_flows.change_dates(
            db,
            principal=guest,
            reservation_id=reservation_id,
            start_date=to,
            nights=2,
            provider=provider,
        )

    await asyncio.gather(*(move(rid, to) for rid in ids for to in (EARLIER, LATER)))

    async with db.read() as session:
        final = dict(
            (
                await session.execute(
                    text("SELECT id, start_date FROM reservations WHERE id = ANY(:ids)"),
                    {"ids": ids},
                )
            ).all()
        )
        told = (
            await session.execute(
                text(
                    "SELECT reservation_id, data->>'old_start_date', data->>'old_end_date' "
                    "FROM outbox WHERE event = 'reservation.changed' AND reservation_id = ANY(:ids)"
                ),
                {"ids": ids},
            )
        ).all()
    olds: dict = {rid: [] for rid in ids}
    for rid, old_start, old_end in told:
        assert date.fromisoformat(old_end) - date.fromisoformat(old_start) == timedelta(days=2)
        olds[rid].append(date.fromisoformat(old_start))
    for rid in ids:
        # The change that committed first moved START to one of the two; the second moved
        # that one to the final dates, and its event says so.
        first_target = EARLIER if final[rid] == LATER else LATER
        assert sorted(olds[rid]) == sorted([START, first_target]), (rid, olds[rid], final[rid])
