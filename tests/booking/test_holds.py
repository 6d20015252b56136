from datetime import timedelta

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import booking
from bookwell.models import ReservationStatus
from bookwell.services.booking import holds
from bookwell.services.booking.reservations import NewReservation
from tests.factories import make_listing
from tests.support.lifecycle_steps import hold, soon


async def backdate(db, reservation_id):
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": reservation_id},
        )


async def status_of(db, reservation_id) -> str:
    async with db.read() as session:
        found = await session.execute(
            text("SELECT status FROM reservations WHERE id = :id"), {"id": reservation_id}
        )
        return found.scalar_one()


async def test_a_hold_is_pending_with_the_listings_hold_time(db, host, guest):
    listing_id = await make_listing(db, host)
    async with db.transaction() as session:
        await session.execute(text("UPDATE listings SET hold_minutes = 7"))
    row = await hold(db, guest, listing_id, soon())
    assert row.status is ReservationStatus.PENDING
    assert timedelta(minutes=6) < row.expires_at - row.created_at <= timedelta(minutes=7)
    assert row.guest_name == "Gus Guest"
    assert row.price_snapshot["total"] == "300.00"


async def test_an_expired_hold_never_blocks_a_booking(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    first = await hold(db, guest, listing_id, soon())
    data = NewReservation(listing_id=listing_id, start_date=soon().start, nights=3)
    with pytest.raises(DomainError) as refused:
        await booking.book(db, guest=guest, data=data)
    assert refused.value.code is ErrorCode.UNAVAILABLE
    assert await status_of(db, first.id) == "PENDING"  # not overdue: it still holds
    await backdate(db, first.id)
    second = await booking.book(db, guest=guest, data=data)
    assert second.status is ReservationStatus.PENDING
    assert await status_of(db, first.id) == "EXPIRED"


async def test_expire_holds_frees_only_overdue_holds(db, host, guest):
    listing_id = await make_listing(db, host, units=2)
    overdue = await hold(db, guest, listing_id, soon())
    fresh = await hold(db, guest, listing_id, soon())
    await backdate(db, overdue.id)
    async with db.transaction() as session:
        expired = await holds.expire_holds(session=session)
    assert [row.id for row in expired] == [overdue.id]
    assert await status_of(db, fresh.id) == "PENDING"
    async with db.read() as session:
        booked = await session.execute(
            text("SELECT max(booked) FROM listing_nights WHERE listing_id = :id"),
            {"id": listing_id},
        )
        assert booked.scalar_one() == 1
    async with db.transaction() as session:
        assert await holds.expire_holds(session=session) == []


async def test_explicit_hold_minutes_win(db, host, guest):
    listing_id = await make_listing(db, host)
    row = await hold(db, guest, listing_id, soon(), hold_minutes=120)
    assert row.expires_at - row.created_at > timedelta(minutes=119)
