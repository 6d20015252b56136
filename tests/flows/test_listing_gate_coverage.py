"""Issue 16, item 7: every flow that takes a listing's nights does so in one of the
listing's turns (flows/listing_gate.py), not only bookings and changes: the waitlist's
offers (they place holds) and a calendar import's blocks. A flow inside another's turn (a
cancellation offering the unit it freed) uses that turn: with one turn a listing, it would
otherwise wait for itself and give up."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bookwell.core.errors import ServiceUnavailable
from bookwell.flows import booking, payments, waitlist
from bookwell.flows.calendar import import_calendar
from bookwell.flows.listing_gate import ListingGate, install_listing_gate
from bookwell.services.booking import lifecycle
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.calendar.imports import CalendarInput
from tests.calendar.calendars import blocks, ics, paris_listing
from tests.factories import make_listing
from tests.flows.test_booking_flows import END, START, paid_booking_with_a_waitlist, state
from tests.payments.payment_calls import CountingProvider


@pytest.fixture
def gate(db, settings) -> ListingGate:
    """One turn a listing, refused after 0.3 s."""
    tuned = settings.model_copy(
        update={"listing_write_connections": 1, "listing_write_wait_seconds": 0.3}
    )
    return install_listing_gate(db, tuned)


@asynccontextmanager
async def turn_held_elsewhere(gate: ListingGate, listing_id) -> AsyncIterator[None]:
    """Another request holding the listing's one turn (another task)."""
    held, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with gate.turn(listing_id):
            held.set()
            await release.wait()

    task = asyncio.ensure_future(holder())
    await held.wait()
    try:
        yield
    finally:
        release.set()
        await task


async def test_a_cancellation_offers_the_freed_unit_in_its_own_turn(db, host, guest, gate):
    provider = CountingProvider()
    held, waiting = await paid_booking_with_a_waitlist(db, host, guest, provider)
    await booking.cancel(db, principal=guest, reservation_id=held.id, provider=provider)
    after = await state(db, held.id, waiting.id)
    assert (after["status"], after["entry"]) == ("CANCELLED", "OFFERED")


async def test_waitlist_offers_wait_for_the_listings_turn(db, host, guest, gate, caplog):
    provider = CountingProvider()
    held, waiting = await paid_booking_with_a_waitlist(db, host, guest, provider)
    async with db.transaction() as session:  # freed without the flow's offer
        await lifecycle.cancel_reservation(session=session, principal=guest, reservation_id=held.id)

    async with turn_held_elsewhere(gate, held.listing_id):
        assert await waitlist.offer_freed_units(db, [held.listing_id]) == 0
    assert "offering freed units" in caplog.text  # refused listing_busy, logged
    assert (await state(db, held.id, waiting.id))["entry"] == "WAITING"
    assert await waitlist.offer_freed_units(db, [held.listing_id]) == 1
    assert (await state(db, held.id, waiting.id))["entry"] == "OFFERED"


async def test_a_calendar_import_blocks_nights_in_the_listings_turn(db, host, gate):
    listing_id = await paris_listing(db, host)
    data = CalendarInput(listing_id, ics_text=ics("airbnb"))
    async with turn_held_elsewhere(gate, listing_id):
        with pytest.raises(ServiceUnavailable) as refused:
            await import_calendar(db, principal=host, data=data)
    assert refused.value.reason == "listing_busy"
    assert await blocks(db, listing_id) == {}  # nothing half-written
    result = await import_calendar(db, principal=host, data=data)
    assert result.created > 0 and len(await blocks(db, listing_id)) == result.created


async def test_paying_takes_no_listing_turn(db, host, guest, gate):
    """Paying and confirming lock the reservation and its payment, never the listing's
    rows: they are not gated, and a listing busy with bookings does not refuse them."""
    provider = CountingProvider()

    listing_id = await make_listing(db, host, units=1)
    held = await booking.book(db, guest=guest, data=NewReservation(listing_id, START, end_date=END))
    async with turn_held_elsewhere(gate, listing_id):
        paid = await payments.pay(
            db, principal=guest, reservation_id=held.id, idempotency_key="k", provider=provider
        )
    assert paid is not None and len(provider.charges) == 1
