"""The payment service against the database: races, and refunds by the snapshot's policy."""

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import PaymentStatus, ReservationStatus
from bookwell.services.booking import lifecycle
from bookwell.services.booking.reservations import NewReservation, create_reservation
from bookwell.services.payments.service import (
    PaymentOutcome,
    RecordedFailure,
    pay_reservation,
    refund_for_cancellation,
    refund_in_full,
)
from tests.factories import make_listing
from tests.payments.payment_calls import CountingProvider

START = date.today() + timedelta(days=30)


async def hold(db, guest, listing_id, nights: int = 3):
    async with db.transaction() as session:
        return await create_reservation(
            session=session,
            guest=guest,
            data=NewReservation(listing_id, START, nights=nights),
        )


async def pay(db, guest, reservation_id, key: str, provider) -> PaymentOutcome:
    async with db.transaction() as session:
        return await pay_reservation(
            session=session,
            principal=guest,
            reservation_id=reservation_id,
            idempotency_key=key,
            provider=provider,
        )


async def paid_hold(db, host, guest, provider, **listing):
    listing_id = await make_listing(db, host, **listing)
    reservation = await hold(db, guest, listing_id)
    await pay(db, guest, reservation.id, "pay", provider)
    return reservation


async def refund(db, reservation, provider, *, today: date, by_host: bool = False):
    async with db.transaction() as session:
        return await refund_for_cancellation(
            session=session,
            reservation=reservation,
            by_host=by_host,
            today=today,
            provider=provider,
        )


async def payment_count(db, reservation_id: uuid.UUID) -> int:
    async with db.read() as session:
        query = text("SELECT count(*) FROM payments WHERE reservation_id = :id")
        return (await session.execute(query, {"id": reservation_id})).scalar_one()


@pytest.mark.parametrize("keys", [("same", "same"), ("first", "second")])
async def test_concurrent_payments_charge_once(db, host, guest, keys):
    provider = CountingProvider(delay=0.2)
    listing_id = await make_listing(db, host)
    reservation = await hold(db, guest, listing_id)

    outcomes = await asyncio.gather(
        *(pay(db, guest, reservation.id, key, provider) for key in keys)
    )

    assert len(provider.charges) == 1
    assert [o.payment.status for o in outcomes] == [PaymentStatus.PAID, PaymentStatus.PAID]
    assert [o.reservation.status for o in outcomes] == [ReservationStatus.CONFIRMED] * 2
    assert outcomes[0].payment.provider_ref == outcomes[1].payment.provider_ref
    assert await payment_count(db, reservation.id) == 1


async def test_a_declined_attempt_is_recorded_before_the_error(db, host, guest):
    provider = CountingProvider()
    listing_id = await make_listing(db, host)
    reservation = await hold(db, guest, listing_id)
    with pytest.raises(RecordedFailure) as declined:
        async with db.transaction() as session:
            try:
                await pay_reservation(
                    session=session,
                    principal=guest,
                    reservation_id=reservation.id,
                    idempotency_key="decline-me",
                    provider=provider,
                )
            finally:
                stored = await session.execute(
                    text("SELECT status FROM payments WHERE reservation_id = :id"),
                    {"id": reservation.id},
                )
                assert stored.scalar_one() == "FAILED"
    assert declined.value.code is ErrorCode.PAYMENT_FAILED


async def test_cancelling_early_refunds_everything(db, host, guest):
    provider = CountingProvider()
    reservation = await paid_hold(db, host, guest, provider, nightly_price="120.00")
    async with db.transaction() as session:
        cancelled = await lifecycle.cancel_reservation(
            session=session, principal=guest, reservation_id=reservation.id
        )
        payment = await refund_for_cancellation(
            session=session,
            reservation=cancelled.reservation,
            by_host=cancelled.by_host,
            today=cancelled.today,
            provider=provider,
        )
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded_amount == Decimal("360.00")
    assert payment.refunded_at is not None
    assert [amount for amount, _ in provider.refunds] == [Decimal("360.00")]


async def test_cancelling_late_refunds_the_policy_share(db, host, guest):
    provider = CountingProvider()
    listing_id = await make_listing(db, host, nightly_price="100.00")
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET cleaning_fee = 40, late_refund_percent = 25 WHERE id = :id"),
            {"id": listing_id},
        )
    reservation = await hold(db, guest, listing_id)
    await pay(db, guest, reservation.id, "pay", provider)
    assert reservation.total_amount == Decimal("340.00")

    # Check-in day, inside the free-cancellation window: 25% of the nights, the fee in full.
    payment = await refund(db, reservation, provider, today=START)
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_amount == Decimal("115.00")

    again = await refund(db, reservation, provider, today=START)
    assert again.refunded_amount == Decimal("115.00")
    assert len(provider.refunds) == 1


async def test_a_host_cancelling_refunds_everything(db, host, guest):
    provider = CountingProvider()
    reservation = await paid_hold(db, host, guest, provider)
    payment = await refund(db, reservation, provider, today=START, by_host=True)
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded_amount == payment.amount == Decimal("300.00")


async def test_a_policy_that_gives_nothing_back_leaves_it_paid(db, host, guest):
    provider = CountingProvider()
    listing_id = await make_listing(db, host)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET late_refund_percent = 0 WHERE id = :id"), {"id": listing_id}
        )
    reservation = await hold(db, guest, listing_id)
    await pay(db, guest, reservation.id, "pay", provider)
    payment = await refund(db, reservation, provider, today=START)
    assert payment.status is PaymentStatus.PAID
    assert payment.refunded_amount == Decimal("0.00")
    assert provider.refunds == []


async def test_nothing_to_refund_when_unpaid(db, host, guest):
    provider = CountingProvider()
    listing_id = await make_listing(db, host)
    reservation = await hold(db, guest, listing_id)
    assert await refund(db, reservation, provider, today=START) is None
    with pytest.raises(RecordedFailure):
        await pay(db, guest, reservation.id, "decline", provider)
    assert await refund(db, reservation, provider, today=START) is None
    assert provider.refunds == []


async def test_a_full_refund_after_a_partial_one_returns_the_rest(db, host, guest):
    provider = CountingProvider()
    reservation = await paid_hold(db, host, guest, provider)
    await refund(db, reservation, provider, today=START)  # 50% of 300
    async with db.transaction() as session:
        payment = await refund_in_full(
            session=session, reservation_id=reservation.id, provider=provider
        )
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded_amount == Decimal("300.00")
    assert [amount for amount, _ in provider.refunds] == [Decimal("150.00"), Decimal("150.00")]
    assert len({key for _, key in provider.refunds}) == 2


async def test_a_failed_refund_raises_and_records_nothing(db, host, guest):
    provider = CountingProvider(refund_fails=True)
    reservation = await paid_hold(db, host, guest, provider)
    with pytest.raises(DomainError) as failed:
        await refund(db, reservation, provider, today=START, by_host=True)
    assert failed.value.code is ErrorCode.PAYMENT_FAILED
    assert "closed" in failed.value.message
    async with db.read() as session:
        query = text("SELECT status, refunded_amount FROM payments WHERE reservation_id = :id")
        row = (await session.execute(query, {"id": reservation.id})).one()
    assert (row.status, row.refunded_amount) == ("PAID", Decimal("0.00"))
