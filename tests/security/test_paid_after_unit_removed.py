"""A hold paid just as its table is removed (attacker review, suspicion 1).

slotUnits refuses to remove a unit a live booking holds, but a hold past its expiry is no
longer live, while a payment whose transaction began before the expiry still finds it
payable: the removal, committed between the two, left a CONFIRMED reservation on a removed
table. The trigger on reservation_units never sees it (paying changes no unit).

Expected: a hold whose unit was removed cannot be paid. payReservation refuses it
(UNAVAILABLE) before charging anything; a Stripe confirmation of it gives the money back
(REFUNDED) and leaves the hold unconfirmed. Either way no holding booking names a removed
unit."""

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text

from bookwell.core.errors import ErrorCode
from bookwell.models import ListingKind
from bookwell.services.listings.changes import ListingChanges, update_listing
from bookwell.services.listings.unit_changes import UnitChange
from bookwell.services.listings.units import SlotSettings, TableSpec
from bookwell.services.payments import service as payments
from bookwell.services.payments.events import EventOutcome, handle_stripe_event
from tests.factories import MANY_HOLDS, book_slot, make_listing
from tests.listings.test_slot_units import tables, update
from tests.payments.payment_calls import CountingProvider
from tests.support.lifecycle_steps import Txn, until_waiting

STARTS_AT = datetime.combine(date.today() + timedelta(days=5), time(19), tzinfo=UTC)


async def _restaurant(db, host) -> uuid.UUID:
    settings = SlotSettings(
        opens_at=time(0), closes_at=time(23), tables=(TableSpec(2, "Bar"), TableSpec(4, "Garden"))
    )
    return await make_listing(
        db,
        host,
        kind=ListingKind.RESTAURANT,
        timezone="UTC",
        nightly_price="20.00",
        slots=settings,
        **MANY_HOLDS,
    )


async def _sql(db, statement: str, **params):
    async with db.transaction() as session:
        result = await session.execute(text(statement), params)
        return result.all() if result.returns_rows else []


async def _hold_expiring_soon(db, host, guest, listing_id, bar: str) -> uuid.UUID:
    held = await book_slot(db, guest, listing_id, STARTS_AT, party_size=2, unit_id=uuid.UUID(bar))
    await _sql(
        db,
        "UPDATE reservations SET expires_at = clock_timestamp() + interval '2 seconds' "
        "WHERE id = :id",
        id=held.id,
    )
    return held.id


async def _until_expired(db, reservation_id: uuid.UUID) -> None:
    for _ in range(500):
        rows = await _sql(
            db,
            "SELECT expires_at < clock_timestamp() FROM reservations WHERE id = :id",
            id=reservation_id,
        )
        if rows[0][0]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the hold never expired")


async def _remove_bar_in_a_transaction(db, host, listing_id, units) -> None:
    """Once the hold is overdue, the host removes its table (nothing live holds it), in a
    transaction of its own: the waitlist's sweep after it is not the guard."""
    async with db.transaction() as session:
        await update_listing(
            session=session,
            principal=host,
            listing_id=listing_id,
            changes=ListingChanges(
                slot_units=[UnitChange(id=uuid.UUID(units["Garden"]["databaseId"]))]
            ),
        )


async def _holding_on_removed(db, listing_id) -> int:
    rows = await _sql(
        db,
        "SELECT count(*) FROM reservation_units ru JOIN reservations r ON r.id = ru.reservation_id "
        "JOIN listing_units lu ON lu.id = ru.unit_id WHERE ru.listing_id = :id "
        "AND lu.listing_id IS NULL AND r.status IN ('CONFIRMED', 'ACTIVE')",
        id=listing_id,
    )
    return rows[0][0]


class _RemovalDuringTheCharge(CountingProvider):
    """The provider's round trip lasts past the hold's expiry, and the host removes the
    hold's table meanwhile."""

    def __init__(self, client, db, host_token, listing_id, held, units):
        super().__init__()
        self.removing = lambda: update(
            client, host_token, listing_id, [{"id": units["Garden"]["id"]}]
        )
        self.db, self.held = db, held
        self.removal: asyncio.Future | None = None

    async def charge(self, **kwargs):
        await _until_expired(self.db, self.held)
        self.removal = asyncio.ensure_future(self.removing())
        await until_waiting(self.db, self.removal)
        return await super().charge(**kwargs)


async def test_a_table_removed_while_its_hold_is_being_paid_waits_and_is_refused(
    client, db, host, host_token, guest
):
    listing_id = await _restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    held = await _hold_expiring_soon(db, host, guest, listing_id, units["Bar"]["databaseId"])
    provider = _RemovalDuringTheCharge(client, db, host_token, listing_id, held, units)
    async with db.transaction() as session:
        paid = await payments.pay_reservation(
            session=session,
            principal=guest,
            reservation_id=held,
            idempotency_key="pay-1",
            provider=provider,
        )
    assert paid.reservation.status.value == "CONFIRMED"
    assert provider.removal is not None
    removed = await provider.removal
    assert [error["code"] for error in removed["errors"]] == ["UNITS_IN_USE"], removed
    assert await _holding_on_removed(db, listing_id) == 0


async def test_paying_a_hold_whose_table_was_removed_meanwhile_is_refused_uncharged(
    client, db, host, host_token, guest
):
    listing_id = await _restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    held = await _hold_expiring_soon(db, host, guest, listing_id, units["Bar"]["databaseId"])
    paying = Txn(db)
    # The payment's transaction begins while the hold is still live...
    await paying.run(lambda session: session.execute(text("SELECT 1")))
    await _until_expired(db, held)
    await _remove_bar_in_a_transaction(db, host, listing_id, units)
    provider = CountingProvider()
    # ...and pays after the table went.
    outcome = await paying.run(
        lambda session: payments.pay_reservation(
            session=session,
            principal=guest,
            reservation_id=held,
            idempotency_key="pay-1",
            provider=provider,
        )
    )
    await paying.commit()
    assert outcome.code is ErrorCode.UNAVAILABLE, outcome
    assert provider.charges == []
    assert await _holding_on_removed(db, listing_id) == 0


async def test_a_stripe_confirmation_after_the_table_went_is_refunded(
    client, db, host, host_token, guest
):
    listing_id = await _restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    held = await _hold_expiring_soon(db, host, guest, listing_id, units["Bar"]["databaseId"])
    confirming = Txn(db)
    await confirming.run(lambda session: session.execute(text("SELECT 1")))
    await _until_expired(db, held)
    await _remove_bar_in_a_transaction(db, host, listing_id, units)
    provider = CountingProvider()
    event = {
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": "pi_after_removal",
                "amount_received": 2000,
                "currency": "usd",
                "metadata": {"reservation_id": str(held)},
            }
        },
    }
    outcome = await confirming.run(
        lambda session: handle_stripe_event(session=session, event=event, provider=provider)
    )
    await confirming.commit()
    assert outcome.value is EventOutcome.REFUNDED, outcome
    assert [amount for amount, _ in provider.refunds] == [20]
    paid = await _sql(
        db,
        "SELECT r.status, p.status FROM reservations r JOIN payments p "
        "ON p.reservation_id = r.id WHERE r.id = :id",
        id=held,
    )
    assert [tuple(row) for row in paid] == [("PENDING", "REFUNDED")]
    assert await _holding_on_removed(db, listing_id) == 0
