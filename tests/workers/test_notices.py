"""Who hears of each outbox event, read back from the database as it is at delivery."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text

from bookwell.flows import booking
from bookwell.models import ListingKind
from bookwell.services.booking import lifecycle
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.listings.stays import today_in
from bookwell.services.listings.units import SlotSettings, TableSpec
from bookwell.services.notifications import outbox
from bookwell.services.notifications.outbox import Event
from bookwell.services.payments import service as payments
from bookwell.services.payments.builtin import BuiltinProvider
from bookwell.services.slots.slots import NewSlotBooking, book_slot
from bookwell.workers.notices import notices_for
from tests.factories import make_listing
from tests.slots.slot_clock import NEW_YORK, NOW


async def berlin_stay(db, host, guest, **listing):
    listing_id = await make_listing(
        db,
        host,
        title="Loft by the Spree",
        city="Berlin",
        country="DE",
        timezone="Europe/Berlin",
        currency="EUR",
        nightly_price="120.00",
        **listing,
    )
    start = today_in("Europe/Berlin") + timedelta(days=30)
    data = NewReservation(listing_id=listing_id, start_date=start, nights=3)
    return await booking.book(db, guest=guest, data=data)


async def record(db, event: Event, reservation_id, **fields) -> int:
    async with db.transaction() as session:
        return await outbox.record(
            session=session, event=event, reservation_id=reservation_id, **fields
        )


async def notices(db, outbox_id: int):
    async with db.read() as session:
        return await notices_for(session, outbox_id)


async def emails(db, *principals) -> list[str]:
    async with db.read() as session:
        found = await session.execute(
            text("SELECT id, email FROM users WHERE id = ANY(:ids)"),
            {"ids": [p.user_id for p in principals]},
        )
        by_id = dict(found.all())
    return [by_id[p.user_id] for p in principals]


async def sql(db, statement: str, **params) -> None:
    async with db.transaction() as session:
        await session.execute(text(statement), params)


async def test_a_new_booking_is_told_to_the_host_and_the_guest(db, host, guest):
    booked = await berlin_stay(db, host, guest)
    outbox_id = await record(db, Event.RESERVATION_CREATED, booked.id)

    told = await notices(db, outbox_id)

    host_email, guest_email = await emails(db, host, guest)
    assert [(n.role, n.recipient.email, n.recipient.name) for n in told] == [
        ("host", host_email, "Hannah Host"),
        ("guest", guest_email, "Gus Guest"),
    ]
    assert {n.outbox_id for n in told} == {outbox_id}
    assert {n.event for n in told} == {"reservation.created"}
    booking = told[0].booking
    assert booking == told[1].booking
    assert (booking.reservation_id, booking.status) == (booked.id, "PENDING")
    assert (booking.listing_title, booking.listing_kind) == ("Loft by the Spree", "STAY")
    assert (booking.city, booking.country, booking.timezone) == ("Berlin", "DE", "Europe/Berlin")
    assert (booking.start_date, booking.end_date) == (booked.start_date, booked.end_date)
    assert (booking.check_in_time, booking.check_out_time) == (time(15), time(11))
    assert (booking.total, booking.currency) == (Decimal("360.00"), "EUR")
    assert booking.expires_at == booked.expires_at
    assert (booking.guest_name, booking.host.email) == ("Gus Guest", host_email)
    assert booking.guest is not None and booking.guest.email == guest_email
    assert (booking.starts_at, booking.refunded, booking.instant_book) == (None, None, True)


@pytest.mark.parametrize(
    ("event", "data", "roles"),
    [
        (Event.RESERVATION_CONFIRMED, None, ["guest", "host"]),
        (Event.RESERVATION_AWAITING_APPROVAL, None, ["host"]),
        (Event.RESERVATION_CHANGED, {"old_quantity": 2}, ["guest", "host"]),
        (Event.RESERVATION_CANCELLED, {"by": "guest"}, ["guest", "host"]),
        (Event.RESERVATION_EXPIRED, None, ["guest", "host"]),
        (Event.RESERVATION_COMPLETED, None, ["guest"]),
        (Event.RESERVATION_REMINDER, None, ["guest"]),
        (Event.HOLD_EXPIRING, {"waiting_for": "payment"}, ["guest"]),
        # Not paid: nothing waits for the host, so that warning is stale.
        (Event.HOLD_EXPIRING, {"waiting_for": "host"}, []),
        (Event.WAITLIST_OFFERED, None, ["guest", "host"]),
    ],
)
async def test_each_event_reaches_its_audience(db, host, guest, event, data, roles):
    booked = await berlin_stay(db, host, guest)
    outbox_id = await record(db, event, booked.id, data=data)

    told = await notices(db, outbox_id)

    assert [n.role for n in told] == roles
    assert all(n.data == (data or {}) for n in told)


async def test_a_cancellation_with_a_refund_carries_the_refund(db, host, guest):
    booked = await berlin_stay(db, host, guest)
    provider = BuiltinProvider()
    async with db.transaction() as session:
        await payments.pay_reservation(
            session=session,
            principal=guest,
            reservation_id=booked.id,
            idempotency_key="pay",
            provider=provider,
        )
    async with db.transaction() as session:
        cancelled = await lifecycle.cancel_reservation(
            session=session, principal=host, reservation_id=booked.id, reason="Burst pipe"
        )
        await payments.refund_for_cancellation(
            session=session,
            reservation=cancelled.reservation,
            by_host=cancelled.by_host,
            today=cancelled.today,
            provider=provider,
        )
    outbox_id = await record(
        db, Event.RESERVATION_CANCELLED, booked.id, data={"by": "host", "reason": "Burst pipe"}
    )

    told = await notices(db, outbox_id)

    assert [n.role for n in told] == ["guest", "host"]
    booking = told[0].booking
    assert (booking.status, booking.refunded) == ("CANCELLED", Decimal("360.00"))
    assert booking.cancel_reason == "Burst pipe"
    # A warning written before the cancellation is stale by now: nobody is told.
    expiring = await record(db, Event.HOLD_EXPIRING, booked.id, data={"waiting_for": "payment"})
    assert await notices(db, expiring) == []


async def test_a_booking_by_name_only_tells_just_the_host(db, host, guest):
    booked = await berlin_stay(db, host, guest)
    await sql(
        db,
        "UPDATE reservations SET guest_id = NULL, guest_name = 'Walk-in Wanda' WHERE id = :id",
        id=booked.id,
    )
    created = await record(db, Event.RESERVATION_CREATED, booked.id)
    confirmed = await record(db, Event.RESERVATION_CONFIRMED, booked.id)

    [told] = await notices(db, created)
    assert told.role == "host"
    assert (told.booking.guest, told.booking.guest_name) == (None, "Walk-in Wanda")
    assert [n.role for n in await notices(db, confirmed)] == ["host"]


async def test_a_paid_hold_warns_the_host_not_the_guest(db, host, guest):
    booked = await berlin_stay(db, host, guest)
    await sql(db, "UPDATE listings SET instant_book = false")
    async with db.transaction() as session:
        await payments.pay_reservation(
            session=session,
            principal=guest,
            reservation_id=booked.id,
            idempotency_key="pay",
            provider=BuiltinProvider(),
        )
    to_host = await record(db, Event.HOLD_EXPIRING, booked.id, data={"waiting_for": "host"})
    to_guest = await record(db, Event.HOLD_EXPIRING, booked.id, data={"waiting_for": "payment"})
    [told] = await notices(db, to_host)
    assert (told.role, told.booking.paid) == ("host", Decimal("360.00"))
    assert await notices(db, to_guest) == []  # written before the payment: stale
    # A host who confirms a request is not emailed about their own confirmation.
    confirmed = await record(db, Event.RESERVATION_CONFIRMED, booked.id)
    assert [n.role for n in await notices(db, confirmed)] == ["guest"]


async def test_a_request_listing_says_so(db, host, guest):
    booked = await berlin_stay(db, host, guest)
    await sql(db, "UPDATE listings SET instant_book = false, check_in_time = '16:30'")
    told = await notices(db, await record(db, Event.RESERVATION_CREATED, booked.id))
    assert {(n.booking.instant_book, n.booking.check_in_time) for n in told} == {
        (False, time(16, 30))
    }


async def test_a_slot_booking_carries_its_times(db, host, guest):
    tables = SlotSettings(opens_at=time(18), closes_at=time(23), tables=(TableSpec(4),))
    listing_id = await make_listing(
        db,
        host,
        kind=ListingKind.RESTAURANT,
        timezone="America/New_York",
        nightly_price="0",
        slots=tables,
    )
    starts_at = datetime(2031, 6, 6, 19, tzinfo=NEW_YORK)
    async with db.transaction() as session:
        booked = await book_slot(
            session=session,
            guest=guest,
            data=NewSlotBooking(listing_id, starts_at, party_size=3),
            now=NOW,
        )

    told = await notices(db, await record(db, Event.RESERVATION_REMINDER, booked.id))

    [booking] = {n.booking for n in told}
    assert (booking.listing_kind, booking.timezone) == ("RESTAURANT", "America/New_York")
    assert (booking.starts_at, booking.ends_at) == (starts_at, starts_at + timedelta(hours=2))
    assert booking.party_size == 3


async def test_gone_rows_tell_nobody_and_unknown_events_are_loud(db, host, guest):
    assert await notices(db, 987654) == []
    gone = await record(db, Event.RESERVATION_CREATED, None)
    assert await notices(db, gone) == []
    booked = await berlin_stay(db, host, guest)
    async with db.transaction() as session:
        found = await session.execute(
            text("INSERT INTO outbox (event, reservation_id) VALUES ('no.such', :id) RETURNING id"),
            {"id": booked.id},
        )
        unknown = found.scalar_one()
    with pytest.raises(ValueError, match=r"no\.such"):
        await notices(db, unknown)


async def test_one_query_however_many_recipients(db, host, guest):
    booked = await berlin_stay(db, host, guest)
    outbox_id = await record(db, Event.RESERVATION_CANCELLED, booked.id, data={"by": "guest"})
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        told = await notices(db, outbox_id)
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len(told) == 2
    assert len(statements) == 1
