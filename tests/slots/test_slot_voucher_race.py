"""A voucher's usage limit on slot bookings under concurrency: guests race for a 5-use code
through bookSlot's flow; exactly 5 book, the rest answer VOUCHER_EXHAUSTED."""

import asyncio
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import slots as slot_flows
from bookwell.models import VoucherKind
from bookwell.services.slots.slots import NewSlotBooking
from bookwell.services.vouchers import vouchers as voucher_service
from bookwell.services.vouchers.vouchers import NewVoucher
from tests.factories import MANY_HOLDS, in_days, make_slot_listing, make_user

GUESTS = 30
LIMIT = 5
LISTINGS = 10


async def test_a_five_use_code_books_exactly_five_of_thirty_racing_slot_guests(db, host):
    # Ten spaces of the host, three units each (enough for every guest): bookings of one
    # listing wait for each other on its row, so the race is on the voucher between listings.
    spaces = [
        await make_slot_listing(db, host, units=GUESTS // LISTINGS, **MANY_HOLDS)
        for _ in range(LISTINGS)
    ]
    async with db.transaction() as session:
        new = NewVoucher("SLOTS5", VoucherKind.FIXED, Decimal("10"), usage_limit=LIMIT)
        voucher = await voucher_service.create_voucher(session=session, principal=host, new=new)
    guests = [await make_user(db) for _ in range(GUESTS)]
    berlin = ZoneInfo("Europe/Berlin")
    starts_at = datetime.combine(in_days(9, "Europe/Berlin"), time(10), berlin)

    async def attempt(index: int) -> str:
        data = NewSlotBooking(spaces[index % LISTINGS], starts_at, voucher_code="slots5")
        try:
            await slot_flows.book_slot(db, guest=guests[index], data=data)
        except DomainError as error:
            return error.code.value
        return "BOOKED"

    outcomes = await asyncio.gather(*(attempt(n) for n in range(GUESTS)))

    assert outcomes.count("BOOKED") == LIMIT
    assert outcomes.count(ErrorCode.VOUCHER_EXHAUSTED.value) == GUESTS - LIMIT
    async with db.read() as session:
        stored = (
            await session.execute(
                text(
                    "SELECT count(*), sum(total_amount), "
                    "(SELECT count(*) FROM reservations) FROM reservations WHERE voucher_id = :id"
                ),
                {"id": voucher.id},
            )
        ).one()
    # 5 x (30.00 - 10), and the refused left no reservation behind.
    assert stored == (LIMIT, Decimal("100.00"), LIMIT)
