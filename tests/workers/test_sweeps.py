from datetime import timedelta

from sqlalchemy import text

from bookwell.models import Role
from bookwell.services.booking import holds
from bookwell.services.listings.stays import Stay, today_in
from bookwell.services.payments import service as payments
from bookwell.services.payments.builtin import BuiltinProvider
from bookwell.services.waitlist import waitlist
from bookwell.services.waitlist.waitlist import NewWaitlistEntry
from bookwell.workers.sweeps import sweep_holds
from tests.factories import make_listing, make_user


def stay() -> Stay:
    start = today_in("UTC") + timedelta(days=20)
    return Stay(start, start + timedelta(days=2))


async def sql(db, statement: str, **params):
    async with db.transaction() as session:
        result = await session.execute(text(statement), params)
        return result.all() if result.returns_rows else None


async def hold(db, guest, listing_id):
    async with db.transaction() as session:
        return await holds.place_hold(
            session=session,
            listing_id=listing_id,
            guest_id=guest.user_id,
            booked=stay(),
            quantity=1,
        )


async def test_a_paid_hold_that_expires_awaiting_the_host_is_refunded(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    await sql(db, "UPDATE listings SET instant_book = false")
    row = await hold(db, guest, listing_id)
    async with db.transaction() as session:
        await payments.pay_reservation(
            session=session,
            principal=guest,
            reservation_id=row.id,
            idempotency_key="pay",
            provider=BuiltinProvider(),
        )
    await sql(db, "UPDATE reservations SET expires_at = now() - interval '1 second'")

    report = await sweep_holds(db, BuiltinProvider())

    assert (report.expired, report.refunded) == (1, 1)
    [(status, paid, refunded)] = await sql(
        db,
        "SELECT p.status, p.amount, p.refunded_amount FROM payments p "
        "JOIN reservations r ON r.id = p.reservation_id WHERE r.status = 'EXPIRED'",
    )
    assert (status, refunded) == ("REFUNDED", paid)
    again = await sweep_holds(db, BuiltinProvider())
    assert (again.expired, again.refunded) == (0, 0)


async def test_an_expired_hold_goes_to_the_waitlist(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    await hold(db, guest, listing_id)
    waiting = await make_user(db, Role.GUEST)
    async with db.transaction() as session:
        await waitlist.join_waitlist(
            session=session,
            principal=waiting,
            data=NewWaitlistEntry(listing_id, stay().start, end_date=stay().end),
        )
    await sql(db, "UPDATE reservations SET expires_at = now() - interval '1 second'")

    report = await sweep_holds(db, BuiltinProvider())

    assert (report.expired, report.offered) == (1, 1)
    [(guest_id,)] = await sql(db, "SELECT guest_id FROM reservations WHERE status = 'PENDING'")
    assert guest_id == waiting.user_id
