"""The workloads: GraphQL documents, request bodies with random parameters, how each answer is
judged, and the contended-booking rounds."""

import asyncio
import base64
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import asyncpg

from bench.client import (
    OK,
    Classify,
    HttpConnection,
    Result,
    classify_graphql,
    classify_json,
    measurement,
    timed,
)
from bench.report import Measurement

SEARCH = (
    "query Search($start: Date!, $nights: Int!, $filter: ListingFilter) {"
    " searchAvailability(startDate: $start, nights: $nights, filter: $filter, first: 20) {"
    " edges { node { id title nightlyPrice { amount currency } } } pageInfo { hasNextPage } } }"
)
AVAILABILITY = (
    "query Availability($listingId: ID!, $start: Date!, $end: Date!) {"
    " availability(listingId: $listingId, startDate: $start, endDate: $end) {"
    " available freeUnits } }"
)
BOOK = (
    "mutation Book($input: CreateReservationInput!) {"
    " createReservation(input: $input) { reservation { id } errors { code message } } }"
)
NESTED = (
    "query Nested($after: String) { listings(first: 100, after: $after) { edges { node {"
    " id title owner { id name }"
    " reservations(first: 5) { edges { node { id startDate endDate status } } } } } } }"
)
# A booking's answers that are not failures: nothing free, or a cap of unpaid holds reached.
REFUSALS = frozenset({"UNAVAILABLE", "HOLD_LIMIT"})
# What a round can book: the free units, but no more than the listing's unpaid holds may
# still grow by (maxListingHolds; earlier runs' holds on the same listing count), as
# book_stay counts them (migration 0030).
FREE_UNITS = """
SELECT greatest(0, least(
         l.units - coalesce(max(n.booked), 0),
         l.max_listing_holds - (
           SELECT count(*) FROM reservations r
            WHERE r.listing_id = l.id AND r.status = 'PENDING' AND r.expires_at > now()
              AND NOT EXISTS (
                  SELECT FROM payments p
                   WHERE p.reservation_id = r.id
                     AND p.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')))))
  FROM listings l
  LEFT JOIN listing_nights n ON n.listing_id = l.id AND n.night >= $2 AND n.night < $3
 WHERE l.id = $1
 GROUP BY l.id, l.units, l.max_listing_holds
"""
# Searches and reads start within the loaded window; bookings anywhere they are allowed
# (up to ~3 years ahead); contended rounds past the loaded window, where all units are free.
READ_DAYS, BOOK_DAYS, CONTENDED_DAYS = (2, 700), (2, 1085), (800, 1085)
# The closed-loop workloads, in the order they run (the contended rounds come last).
ORDER = ["search_city", "search_bare", "search_all", "availability", "nested", "book"]


@dataclass
class Setup:
    token: str
    listing_ids: list[uuid.UUID]
    cities: list[str]
    stay_ids: list[uuid.UUID]  # the listings createReservation books (nights)


@dataclass
class Workload:
    name: str
    path: str
    bodies: list[bytes]
    classify: Classify
    authorized: bool = False
    # Bearer tokens taken in turn (one a request with wrk, one a connection otherwise) instead
    # of the admin's: bookings made by many guests, as a guest's unpaid holds are capped.
    tokens: list[str] | None = None
    sent: int = 0  # bodies used by earlier runs: the next run starts after them

    def next_bodies(self) -> list[bytes]:
        """The bodies in turn from the first unused one, so that no run (warm-ups and repeats
        included) books what an earlier one booked."""
        start = self.sent % len(self.bodies)
        return self.bodies[start:] + self.bodies[:start]


def graphql_body(query: str, variables: dict) -> bytes:
    return json.dumps({"query": query, "variables": variables}, separators=(",", ":")).encode()


def _day(rng: random.Random, days: tuple[int, int]) -> date:
    return date.today() + timedelta(days=rng.randint(*days))


def _search_variables(rng: random.Random, cities: list[str] | None) -> dict:
    variables = {"start": _day(rng, READ_DAYS).isoformat(), "nights": rng.randint(1, 7)}
    if cities:
        variables["filter"] = {"city": rng.choice(cities)}
    return variables


def _cursor(listing_id: uuid.UUID) -> str:
    """What bookwell.services.pagination.encode_cursor makes of an id."""
    return base64.urlsafe_b64encode(listing_id.bytes).decode().rstrip("=")


def workloads(setup: Setup, count: int, seed: int) -> dict[str, Workload]:
    """`count` bodies per workload, made from `seed` (the bare search gets the same searches)."""
    rng = random.Random(seed)
    ids = setup.listing_ids
    city_searches = [_search_variables(rng, setup.cities) for _ in range(count)]
    everywhere = [_search_variables(rng, None) for _ in range(count)]
    availability, bookings, pages = [], [], []
    for _ in range(count):
        start = _day(rng, READ_DAYS)
        availability.append(
            {
                "listingId": str(rng.choice(ids)),
                "start": start.isoformat(),
                "end": (start + timedelta(days=rng.randint(1, 7))).isoformat(),
            }
        )
        bookings.append(
            {
                "input": {
                    "listingId": str(rng.choice(setup.stay_ids)),
                    "startDate": _day(rng, BOOK_DAYS).isoformat(),
                    "nights": rng.randint(1, 7),
                    "quantity": 1,
                }
            }
        )
        pages.append({"after": _cursor(ids[rng.randrange(max(1, len(ids) - 100))])})
    bare_bodies = [
        json.dumps(
            {"city": v["filter"]["city"], "start": v["start"], "nights": v["nights"]}
        ).encode()
        for v in city_searches
    ]
    # Random stays now and then give one guest a third hold on a listing: HOLD_LIMIT, an
    # answer as right as UNAVAILABLE (the contended rounds count both alike).
    booking = partial(classify_graphql, mutation="createReservation", refusals=REFUSALS)
    return {
        "search_city": Workload(
            "searchAvailability, one city",
            "/graphql",
            [graphql_body(SEARCH, v) for v in city_searches],
            classify_graphql,
        ),
        "search_bare": Workload(
            "bare Starlette+asyncpg, one city", "/search", bare_bodies, classify_json
        ),
        "search_all": Workload(
            "searchAvailability, everywhere",
            "/graphql",
            [graphql_body(SEARCH, v) for v in everywhere],
            classify_graphql,
        ),
        "availability": Workload(
            "availability, one listing",
            "/graphql",
            [graphql_body(AVAILABILITY, v) for v in availability],
            classify_graphql,
        ),
        "nested": Workload(
            "nested read (100 listings)",
            "/graphql",
            [graphql_body(NESTED, v) for v in pages],
            classify_graphql,
            authorized=True,
        ),
        "book": Workload(
            "createReservation, uncontended",
            "/graphql",
            [graphql_body(BOOK, v) for v in bookings],
            booking,
            authorized=True,
        ),
    }


async def contended(
    *,
    port: int,
    tokens: list[str],
    db: asyncpg.Connection,
    listing_ids: list[uuid.UUID],
    clients: int,
    seconds: float,
    seed: int,
    max_rounds: int = 1000,
) -> Measurement:
    """Rounds of `clients` simultaneous bookings of the same listing and dates, each by another
    guest (`tokens`, one a connection), until `seconds` have passed. In each round exactly the
    free units must be booked (no more than the listing's hold cap leaves) and every other
    request answered UNAVAILABLE or HOLD_LIMIT; any other answer is a failure."""
    rng = random.Random(seed)
    # A listing whose unpaid holds reach maxListingHolds refuses the rest HOLD_LIMIT: in a
    # race, as good a "no" as UNAVAILABLE (FREE_UNITS counts what the cap leaves).
    classify = partial(classify_graphql, mutation="createReservation", refusals=REFUSALS)
    connections = [
        HttpConnection(port, {"Authorization": f"Bearer {tokens[n % len(tokens)]}"})
        for n in range(clients)
    ]
    result, mismatches, rounds, round_seconds = Result(), [], 0, Result()
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline and rounds < max_rounds:
            listing_id = rng.choice(listing_ids)
            start, nights = _day(rng, CONTENDED_DAYS), rng.randint(1, 3)
            free = await db.fetchval(FREE_UNITS, listing_id, start, start + timedelta(nights))
            body = graphql_body(
                BOOK,
                {"input": {"listingId": str(listing_id), "startDate": start.isoformat(),
                           "nights": nights, "quantity": 1}},
            )  # fmt: skip
            began = time.perf_counter()
            answers = await asyncio.gather(
                *(timed(conn, "/graphql", body, classify) for conn in connections)
            )
            took = time.perf_counter() - began
            result.seconds += took
            round_seconds.latencies.append(took)
            for answer in answers:
                result.add(*answer)
            booked = sum(1 for _, kind, _ in answers if kind == OK)
            if booked != free:
                mismatches.append(f"{listing_id} from {start}: {booked} booked, {free} free")
            rounds += 1
    finally:
        for conn in connections:
            await conn.close()
    found = measurement(result)
    found.round_p99_ms = round_seconds.percentile(0.99)
    found.note = (
        f"{rounds} rounds (p50 {round_seconds.percentile(0.5):.0f} ms, p90 "
        f"{round_seconds.percentile(0.9):.0f} ms, p99 {found.round_p99_ms:.0f} ms, max "
        f"{round_seconds.percentile(1.0):.0f} ms), booked == free units in "
        f"{rounds - len(mismatches)}"
    )
    if mismatches:
        found.note += f"; MISMATCH in {len(mismatches)}: " + "; ".join(mismatches[:3])
    return found
