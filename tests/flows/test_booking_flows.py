"""The booking flows against the database: what a cancellation composes (cancel, refund,
commit, then the waitlist offer) holds together or not at all, and what follows the commit
never undoes it."""

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import booking, payments, waitlist
from bookwell.models import ReservationStatus, Role
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.waitlist import waitlist as waitlist_service
from bookwell.services.waitlist.waitlist import NewWaitlistEntry
from tests.factories import make_listing, make_user
from tests.payments.payment_calls import CountingProvider

START = date.today() + timedelta(days=30)
END = START + timedelta(days=3)


async def paid_booking_with_a_waitlist(db, host, guest, provider):
    """A paid booking of the listing's one unit, and another guest waiting for its nights."""
    listing_id = await make_listing(db, host, units=1)
    held = await booking.book(db, guest=guest, data=NewReservation(listing_id, START, end_date=END))
    await payments.pay(
        db, principal=guest, reservation_id=held.id, idempotency_key="pay", provider=provider
    )
    waiting = await waitlist.join(
        db,
        principal=await make_user(db, Role.GUEST),
        data=NewWaitlistEntry(listing_id, START, end_date=END),
    )
    return held, waiting


async def state(db, reservation_id, entry_id) -> dict:
    async with db.read() as session:
        found = await session.execute(
            text("""
                SELECT r.status, p.status AS payment, p.refunded_amount, w.status AS entry,
                       (SELECT count(*) FROM outbox o
                         WHERE o.reservation_id = r.id AND o.event = 'reservation.cancelled')
                           AS cancel_events
                  FROM reservations r
                  JOIN payments p ON p.reservation_id = r.id
                  JOIN waitlist_entries w ON w.id = :entry
                 WHERE r.id = :id"""),
            {"id": reservation_id, "entry": entry_id},
        )
        return dict(found.one()._mapping)


async def test_a_refund_that_fails_leaves_the_booking_as_it_was(db, host, guest):
    provider = CountingProvider(refund_fails=True)
    held, waiting = await paid_booking_with_a_waitlist(db, host, guest, provider)
    before = await state(db, held.id, waiting.id)
    assert before["status"] == "CONFIRMED" and before["payment"] == "PAID"

    with pytest.raises(DomainError) as refused:
        await booking.cancel(db, principal=guest, reservation_id=held.id, provider=provider)

    assert refused.value.code is ErrorCode.PAYMENT_FAILED
    assert len(provider.refunds) == 1  # the refund was asked for, and refused
    after = await state(db, held.id, waiting.id)
    assert after == before  # still CONFIRMED and PAID, no cancellation news, nobody offered
    assert after["cancel_events"] == 0 and after["entry"] == "WAITING"


async def test_the_freed_units_are_offered_once_the_cancellation_committed(db, host, guest):
    provider = CountingProvider()
    held, waiting = await paid_booking_with_a_waitlist(db, host, guest, provider)

    cancelled = await booking.cancel(
        db, principal=guest, reservation_id=held.id, reason="Plans changed", provider=provider
    )

    assert cancelled.status is ReservationStatus.CANCELLED
    after = await state(db, held.id, waiting.id)
    assert (after["status"], after["payment"], after["cancel_events"]) == (
        "CANCELLED",
        "REFUNDED",
        1,
    )
    assert after["entry"] == "OFFERED"
    async with db.read() as session:
        offer = await session.execute(
            text("""
                SELECT r.status, r.guest_id = w.user_id AS theirs, r.start_date, r.end_date
                  FROM waitlist_entries w JOIN reservations r ON r.id = w.reservation_id
                 WHERE w.id = :entry"""),
            {"entry": waiting.id},
        )
        assert tuple(offer.one()) == ("PENDING", True, START, END)


async def test_an_offer_that_fails_after_the_commit_does_not_undo_the_cancellation(
    db, host, guest, monkeypatch, caplog
):
    provider = CountingProvider()
    held, waiting = await paid_booking_with_a_waitlist(db, host, guest, provider)

    async def broken(**kwargs):
        raise RuntimeError("the waitlist is down")

    monkeypatch.setattr(waitlist_service, "offer_freed_units", broken)
    with caplog.at_level(logging.ERROR, logger="bookwell.flows.waitlist"):
        cancelled = await booking.cancel(
            db, principal=guest, reservation_id=held.id, provider=provider
        )

    assert cancelled.status is ReservationStatus.CANCELLED
    after = await state(db, held.id, waiting.id)
    assert (after["status"], after["payment"], after["entry"]) == (
        "CANCELLED",
        "REFUNDED",
        "WAITING",  # the next release or sweep offers the nights
    )
    assert "offering freed units of listing" in caplog.text

    monkeypatch.undo()
    assert await waitlist.offer_freed_units(db, [held.listing_id]) == 1
    assert (await state(db, held.id, waiting.id))["entry"] == "OFFERED"


async def test_checking_out_early_offers_the_nights_not_slept(db, host, guest):
    provider = CountingProvider()
    held, waiting = await paid_booking_with_a_waitlist(db, host, guest, provider)
    async with db.transaction() as session:  # the guest arrived yesterday, for three nights
        await session.execute(
            text("""
                UPDATE reservations SET status = 'ACTIVE', checked_in_at = now(),
                       start_date = current_date - 1, end_date = current_date + 2
                 WHERE id = :id"""),
            {"id": held.id},
        )
        await session.execute(
            text("""
                UPDATE waitlist_entries SET start_date = current_date + 1,
                       end_date = current_date + 2 WHERE id = :id"""),
            {"id": waiting.id},
        )

    completed = await booking.check_out(db, principal=host, reservation_id=held.id)

    assert completed.status is ReservationStatus.COMPLETED
    assert completed.end_date == completed.start_date + timedelta(days=1)  # one night slept
    assert (await state(db, held.id, waiting.id))["entry"] == "OFFERED"
