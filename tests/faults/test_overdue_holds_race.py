"""Fault suite: the overdue-holds race (issue 16, item 4) through the API of two app
instances (two pools, as two replicas) on one database, with the sweep running beside.

Ten guests book at once a 20-unit listing whose 20 units are held by overdue holds, 20
rounds: every booking answers OK (it fits), never UNAVAILABLE, and never more than 20 units
are booked. Before the fix, 44 of 50 answers were UNAVAILABLE while 18-19 units were free.
tests/booking/test_overdue_holds_race.py runs the same race through the flows, in the
default run.
"""

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.flows import booking as booking_flows
from bookwell.models import Role
from tests.factories import (
    MANY_HOLDS,
    book,
    create_reservation_mutation,
    make_listing,
    make_token,
    make_user,
)
from tests.support.database import inventory_faults, over_allocated_nights
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

UNITS = 20
GUESTS = 10
ROUNDS = 20
BOOK = create_reservation_mutation("id quantity")


@contextlib.asynccontextmanager
async def two_replicas(settings) -> AsyncIterator[list[GraphQLClient]]:
    """Two apps (two pools, two listing gates) on one database, and a client of each."""
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for name in ("a", "b"):
            app = await stack.enter_async_context(started(create_app(settings)))
            transport = httpx.ASGITransport(app=app)
            http = httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
            clients.append(GraphQLClient(await stack.enter_async_context(http)))
        yield clients


async def test_overdue_holds_never_refuse_bookings_on_two_replicas(settings, db, host):
    listing_id = await make_listing(db, host, units=UNITS, **MANY_HOLDS)
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(GUESTS)]
    async with two_replicas(settings) as clients:
        replicas = itertools.cycle(clients)
        answers: list[str] = []
        for n in range(ROUNDS):
            start = date.today() + timedelta(days=30 + 4 * n)
            for _ in range(UNITS // 4):
                await book(db, None, listing_id, start, nights=3, quantity=4)
            async with db.transaction() as session:
                await session.execute(
                    text(
                        "UPDATE reservations SET expires_at = now() - interval '1 minute' "
                        "WHERE listing_id = :id AND status = 'PENDING'"
                    ),
                    {"id": listing_id},
                )
            booking = {
                "listingId": str(listing_id),
                "startDate": start.isoformat(),
                "nights": 3,
                "quantity": 2,
            }
            calls = [next(replicas)(BOOK, {"input": booking}, token=token) for token in tokens]
            results, _ = await asyncio.gather(
                asyncio.gather(*calls), booking_flows.expire_overdue_holds(db)
            )
            for result in results:
                payload = result.data["createReservation"]
                answers.append("OK" if payload["reservation"] else payload["errors"][0]["code"])

    assert answers.count("OK") == GUESTS * ROUNDS, {code: answers.count(code) for code in answers}
    assert await over_allocated_nights(db) == []
    assert await inventory_faults(db) == []
