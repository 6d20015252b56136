"""Every transition someone must hear about writes its outbox row in its own transaction."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.services.booking import holds, lifecycle, reservations
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.notifications import outbox
from tests.factories import MANY_HOLDS, book, in_days, make_listing


async def events(db, reservation_id=None) -> list[tuple[str, dict]]:
    sql = "SELECT event, data FROM outbox"
    if reservation_id is not None:
        sql += " WHERE reservation_id = :id"
    async with db.read() as session:
        rows = await session.execute(text(sql + " ORDER BY id"), {"id": reservation_id})
        return [(row.event, row.data) for row in rows]


async def test_a_booking_records_created_and_a_rollback_records_nothing(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    row = await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
    assert await events(db, row.id) == [("reservation.created", {})]

    class Abort(Exception):
        pass

    later = NewReservation(listing_id=listing_id, start_date=row.end_date, nights=2)
    with pytest.raises(Abort):
        async with db.transaction() as session:
            await reservations.create_reservation(session=session, guest=guest, data=later)
            raise Abort
    with pytest.raises(DomainError) as refused:
        await book(
            db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True
        )  # the only unit is taken
    assert refused.value.code is ErrorCode.UNAVAILABLE
    assert [event for event, _ in await events(db)] == ["reservation.created"]


async def test_cancel_change_and_expiry_record_their_facts(db, host, guest):
    listing_id = await make_listing(db, host, units=2)
    first = await book(db, guest, listing_id, in_days(10), nights=2, as_the_api_does=True)
    async with db.transaction() as session:
        await lifecycle.change_dates(
            session=session,
            principal=guest,
            reservation_id=first.id,
            start_date=first.start_date,
            nights=3,
        )
    async with db.transaction() as session:
        await lifecycle.cancel_reservation(
            session=session, principal=host, reservation_id=first.id, reason="Pipes burst"
        )
    assert await events(db, first.id) == [
        ("reservation.created", {}),
        (
            "reservation.changed",
            {
                "old_start_date": first.start_date.isoformat(),
                "old_end_date": first.end_date.isoformat(),
                "old_quantity": 1,
            },
        ),
        ("reservation.cancelled", {"by": "host", "reason": "Pipes burst"}),
    ]

    second = await book(db, guest, listing_id, in_days(20), nights=2, as_the_api_does=True)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 s' WHERE id = :id"),
            {"id": second.id},
        )
    async with db.transaction() as session:
        assert [r.id for r in await holds.expire_holds(session=session)] == [second.id]
    assert [e for e, _ in await events(db, second.id)] == [
        "reservation.created",
        "reservation.expired",
    ]


async def test_delivered_events_are_purged_after_the_retention_and_others_kept(db, host, guest):
    listing_id = await make_listing(db, host, units=3, **MANY_HOLDS)
    for days in (10, 20, 30):
        await book(db, guest, listing_id, in_days(days), nights=2, as_the_api_does=True)
    async with db.transaction() as session:
        ids = (await session.execute(text("SELECT id FROM outbox ORDER BY id"))).scalars().all()
        ages = {ids[0]: timedelta(days=40), ids[1]: timedelta(days=1)}  # ids[2]: undelivered
        for outbox_id, age in ages.items():
            await session.execute(
                text(
                    "UPDATE outbox SET relayed_at = now(), "
                    "delivered_at = now() - CAST(:age AS interval) WHERE id = :id"
                ),
                {"id": outbox_id, "age": age},
            )
    async with db.transaction() as session:
        assert await outbox.purge_delivered(session=session, older_than=timedelta(days=30)) == 1
    async with db.read() as session:
        left = (await session.execute(text("SELECT id FROM outbox ORDER BY id"))).scalars().all()
    assert left == ids[1:]
