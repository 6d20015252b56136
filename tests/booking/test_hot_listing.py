"""One hot listing does not take the whole API down (issue 16, item 7).

Another connection holds one listing's row lock; bookings of it pile up. Only a few of them
(listing_write_connections) hold a pooled connection while they wait; the rest wait for a
turn without one and are refused ServiceUnavailable ("listing_busy", retryable) after
listing_write_wait_seconds. Meanwhile reads and bookings of other listings answer at once,
on an app whose whole pool is four connections.
"""

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.core.errors import ServiceUnavailable
from bookwell.flows import booking as booking_flows
from bookwell.flows.listing_gate import ListingGate, install_listing_gate
from bookwell.models import Role
from bookwell.services.booking.reservations import NewReservation
from tests.factories import (
    MANY_HOLDS,
    create_reservation_mutation,
    make_listing,
    make_token,
    make_user,
)
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

START = date.today() + timedelta(days=30)
BOOK = create_reservation_mutation("id")
READ = "query($id: ID!) { listing(id: $id) { title units } }"
PROMPTLY = 5.0  # seconds: far below the 30 s a request waited for a pooled connection


async def holding_the_listing_lock(db, listing_id):
    """A transaction of another connection holding the listing's row lock (what a slow
    booking or an operator's UPDATE holds); the caller rolls it back."""
    connection = await db.engine.connect()
    transaction = await connection.begin()
    await connection.execute(
        text("SELECT 1 FROM listings WHERE id = :id FOR UPDATE"), {"id": listing_id}
    )
    return connection, transaction


@pytest.fixture
async def tiny_app(settings):
    small = settings.model_copy(
        update={
            "db_pool_size": 4,
            "db_max_overflow": 0,
            "listing_write_connections": 2,
            "listing_write_wait_seconds": 1.0,
        }
    )
    application = create_app(small)
    async with started(application) as application:
        yield application


async def test_a_locked_listing_leaves_the_pool_to_the_others(tiny_app, db, host):
    hot = await make_listing(db, host, units=50, **MANY_HOLDS)
    other = await make_listing(db, host, title="Quiet", units=50, **MANY_HOLDS)
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(12)]
    transport = httpx.ASGITransport(app=tiny_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        client = GraphQLClient(http)

        def book(listing_id, token):
            booking = {"listingId": str(listing_id), "startDate": START.isoformat(), "nights": 1}
            return client(BOOK, {"input": booking}, token=token)

        connection, lock = await holding_the_listing_lock(db, hot)
        try:
            piled = [asyncio.ensure_future(book(hot, token)) for token in tokens[:8]]
            await asyncio.sleep(0.3)  # they are waiting now: two on the lock, six for a turn

            async with asyncio.timeout(PROMPTLY):
                reads = await asyncio.gather(*(client(READ, {"id": str(other)}) for _ in range(6)))
                booked = await asyncio.gather(*(book(other, t) for t in tokens[8:]))
            assert all(r.data["listing"] == {"title": "Quiet", "units": 50} for r in reads)
            assert all(b.data["createReservation"]["errors"] == [] for b in booked)

            # Those beyond the listing's two turns are answered after the wait, not at
            # the end of the lock: a retryable refusal (HTTP 503 once graphql/extensions.py
            # maps ServiceUnavailable), never a booking.
            refused = []
            async with asyncio.timeout(PROMPTLY):
                for answered in asyncio.as_completed(piled):
                    refused.append(await answered)
                    if len(refused) == len(piled) - 2:  # the two in their turn still wait
                        break
            assert sum(not task.done() for task in piled) == 2
            assert all(
                not answer.body.get("data") or not answer.body["data"].get("createReservation")
                for answer in refused
            ), refused
        finally:
            await lock.rollback()
            await connection.close()
        answers = await asyncio.gather(*piled)
    made = [a for a in answers if (a.body.get("data") or {}).get("createReservation")]
    # The two that held a turn book once the lock is gone; the others were refused.
    assert len(made) == 2
    assert all(a.errors for a in answers if a not in made)


async def test_the_gate_refuses_past_the_wait_with_a_retryable_error(db, host, guest):
    listing_id = await make_listing(db, host, units=5, **MANY_HOLDS)
    gate = ListingGate(per_listing=1, wait_seconds=0.2)
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold_the_turn() -> None:
        async with gate.turn(listing_id):
            held.set()
            await release.wait()

    holder = asyncio.ensure_future(hold_the_turn())
    await held.wait()
    with pytest.raises(ServiceUnavailable) as refused:
        async with gate.turn(listing_id):
            pass
    assert refused.value.reason == "listing_busy"
    async with gate.turn(await make_listing(db, host)):  # another listing: at once
        pass
    release.set()
    await holder
    async with gate.turn(listing_id):  # free again
        pass
    assert gate._turns == {}  # nothing kept for listings nobody is writing


async def test_the_booking_flow_takes_its_listings_turn(db, host, guest, settings):
    listing_id = await make_listing(db, host, units=5, **MANY_HOLDS)
    tuned = settings.model_copy(
        update={"listing_write_connections": 1, "listing_write_wait_seconds": 0.2}
    )
    gate = install_listing_gate(db, tuned)
    data = NewReservation(listing_id, START, nights=1)
    held, release = asyncio.Event(), asyncio.Event()

    async def another_request() -> None:  # a turn held in this task would be reentered
        async with gate.turn(listing_id):
            held.set()
            await release.wait()

    holder = asyncio.ensure_future(another_request())
    await held.wait()
    with pytest.raises(ServiceUnavailable):
        await booking_flows.book(db, guest=guest, data=data)
    release.set()
    await holder
    assert (await booking_flows.book(db, guest=guest, data=data)).listing_id == listing_id
    async with gate.turn(listing_id):  # inside this task's own turn: reentered, not refused
        assert (await booking_flows.book(db, guest=guest, data=data)).listing_id == listing_id
