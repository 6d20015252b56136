"""A voucher's usage limit under concurrency: 100 guests race for a 10-use code."""

import asyncio
from decimal import Decimal

from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import booking as booking_flows
from bookwell.models import VoucherKind
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.vouchers import vouchers as voucher_service
from bookwell.services.vouchers.vouchers import NewVoucher
from tests.factories import MANY_HOLDS, in_days, make_listing, make_user
from tests.support.database import over_allocated_nights


async def test_a_ten_use_code_books_exactly_ten_of_a_hundred_racing_guests(db, host):
    # Twenty listings of the host (the code applies to all): bookings of one listing wait
    # for each other on its row, so the race is on the voucher between listings.
    listings = [await make_listing(db, host, units=10, **MANY_HOLDS) for _ in range(20)]
    async with db.transaction() as session:
        new = NewVoucher("RACE10", VoucherKind.FIXED, Decimal("15"), usage_limit=10)
        voucher = await voucher_service.create_voucher(session=session, principal=host, new=new)
    guests = [await make_user(db) for _ in range(100)]

    async def attempt(index: int) -> str:
        data = NewReservation(listings[index % 20], in_days(10), nights=2, voucher_code="race10")
        try:
            await booking_flows.book(db, guest=guests[index], data=data)
        except DomainError as error:
            return error.code.value
        return "BOOKED"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(100)))

    assert outcomes.count("BOOKED") == 10
    assert outcomes.count(ErrorCode.VOUCHER_EXHAUSTED.value) == 90
    async with db.read() as session:
        stored = (
            await session.execute(
                text("SELECT count(*), sum(total_amount) FROM reservations WHERE voucher_id = :id"),
                {"id": voucher.id},
            )
        ).one()
    assert stored == (10, Decimal("1850.00"))  # 10 x (200 - 15)
    assert await over_allocated_nights(db) == []
