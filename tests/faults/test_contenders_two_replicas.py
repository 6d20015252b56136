"""Fault suite, issue 16 ("what held"): 500 guests book at once the same nights of a 3-unit
listing through two app instances (two pools, two listing gates: as two replicas) on one
database, ROUNDS rounds. Exactly 3 are booked every round; every other answer is the
payload's UNAVAILABLE or a typed, retryable 503 SERVICE_UNAVAILABLE (the listing gate's
`listing_busy`, a pool timeout), each counted; never anything else, never a 4th booking.

The pools are the production default's bounds (a 5 s pool timeout) at 10 connections a
replica, so that 500 at once on a 2-core machine is a real contest for connections."""

import asyncio
import itertools
from collections import Counter
from datetime import date, timedelta

from bookwell.models import Role
from tests.factories import (
    MANY_HOLDS,
    create_reservation_mutation,
    make_listing,
    make_token,
    make_user,
)
from tests.faults.test_overdue_holds_race import two_replicas
from tests.support.database import inventory_faults, over_allocated_nights
from tests.support.graphql_client import Answer

CONTENDERS = 500
ROUNDS = 4
UNITS = 3
BOOK = create_reservation_mutation("id")


def kind(answer: Answer) -> str:
    if answer.status == 503:
        retryable = answer.headers.get("retry-after", "").isdigit()
        return (
            "SERVICE_UNAVAILABLE"
            if retryable and answer.codes == ["SERVICE_UNAVAILABLE"]
            else "other"
        )
    if answer.status != 200 or answer.errors:
        return "other"
    payload = answer.body["data"]["createReservation"]
    if payload["reservation"]:
        return "OK"
    return "+".join(e["code"] for e in payload["errors"])


async def test_five_hundred_contenders_for_three_units_on_two_replicas(settings, db, host):
    listing_id = await make_listing(db, host, units=UNITS, **MANY_HOLDS)
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(CONTENDERS)]
    replica_settings = settings.model_copy(
        update={
            "rate_limits": False,
            "db_pool_size": 10,
            "db_max_overflow": 0,
            "db_pool_timeout_seconds": 5.0,
        }
    )
    totals: Counter[str] = Counter()
    async with two_replicas(replica_settings) as clients:
        replicas = itertools.cycle(clients)
        for n in range(ROUNDS):
            start = date.today() + timedelta(days=30 + 3 * n)
            booking = {"listingId": str(listing_id), "startDate": start.isoformat(), "nights": 2}
            answers = await asyncio.gather(
                *(next(replicas)(BOOK, {"input": booking}, token=t) for t in tokens)
            )
            kinds = Counter(kind(a) for a in answers)
            print(f"round {n}: {dict(kinds)}")
            assert kinds["OK"] == UNITS, (n, kinds)
            assert set(kinds) <= {"OK", "UNAVAILABLE", "SERVICE_UNAVAILABLE"}, (n, kinds)
            totals += kinds

    assert await over_allocated_nights(db) == []
    assert await inventory_faults(db) == []
    print(f"{ROUNDS} rounds of {CONTENDERS} on two replicas: {dict(totals)}")
