"""Attack: fields whose work is far larger than one object were priced as one. Thirty
aliased `quote(nights: 365)` on 100 listings (3,000 year-long quotes) took 11 s anonymously
and stalled /healthz; `bookableUnits` and `searchSlots` over a host's 10,000-unit listings
answered 16 MB and stalled the event loop for seconds; a host created 90 listings in 1.4 s.

Expensive fields now declare their weight (a quote weighs its nights), long lists are paged
(bookableUnits: `first`, 100 by default, at most 1,000), searchSlots counts free units
without reading every unit, and createListing has a rate limit."""

import asyncio
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from bookwell.core.ids import global_id
from bookwell.graphql.limits.cost import CODE as COSTLY
from bookwell.graphql.limits.rate_limiting import CODE as RATE_LIMITED
from bookwell.models import ListingKind, Role
from tests.factories import (
    MANY_HOLDS,
    book_slot,
    make_listing,
    make_slot_listing,
    make_token,
    make_user,
)
from tests.support.sql_statements import sql_statements

T = TypeVar("T")

YEAR_OF_QUOTES = "quote(startDate: $start, nights: 365) { total { amount } }"
QUOTES = {
    "aliased year-long quotes": (
        "query($start: Date!) { listings(first: 100) { edges { node { "
        + " ".join(f"q{n}: {YEAR_OF_QUOTES}" for n in range(30))
        + " } } } }",
        {},
    ),
    "quotes by endDate": (
        "query($start: Date!) { listings(first: 100) { edges { node { quote(startDate: $start, "
        'endDate: "2099-01-01") { total { amount } } } } } }',
        {},
    ),
    "nights in a variable": (
        "query($start: Date!, $n: Int = 1) { listings(first: 100) { edges { node {"
        " quote(startDate: $start, nights: $n) { total { amount } } } } } }",
        {"n": 365},
    ),
}


@pytest.mark.parametrize(("query", "variables"), QUOTES.values(), ids=QUOTES.keys())
async def test_year_long_quotes_on_a_page_of_listings_are_refused_up_front(
    app, client, query, variables
):
    start = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    with sql_statements(app) as statements:
        answer = await client(query, {"start": start, **variables})
    assert statements == []
    assert answer.status < 500 and answer.codes == [COSTLY], answer.body


async def test_a_few_quotes_still_pass(client, db, host):
    listing = global_id("Listing", await make_listing(db, host))
    start = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    query = (
        'query($id: ID!) { listing(id: $id) { quote(startDate: "'
        + start
        + '", nights: 365) { total { amount } lineItems { quantity } } } }'
    )
    answer = await client(query, {"id": listing})
    assert answer.errors == [], answer.body
    assert answer.data["listing"]["quote"]["lineItems"][0]["quantity"] == 365


async def with_longest_stall(work: Awaitable[T]) -> tuple[T, float]:
    """`work`'s result, and the longest the event loop went without a turn meanwhile."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        result = await work
    finally:
        done.set()
        await ticker
    return result, max(gaps, default=0.0)


@pytest.fixture
async def huge_equipment(db, host):
    """A host's 10,000 items, hired by 5 minutes, all day."""
    return await make_slot_listing(
        db,
        host,
        units=10_000,
        kind=ListingKind.EQUIPMENT,
        slot_minutes=5,
        opens_at=None,
        closes_at=None,
        timezone="UTC",
        **MANY_HOLDS,  # the attack's setting: a host who lets thousands be held at once
    )


async def test_bookable_units_come_in_pages(client, huge_equipment):
    listing = global_id("Listing", huge_equipment)
    query = """query($id: ID!, $first: Int, $after: Int) { listing(id: $id) {
      bookableUnits(first: $first, afterPosition: $after) { position } } }"""
    default = (await client(query, {"id": listing})).data["listing"]["bookableUnits"]
    assert [unit["position"] for unit in default] == list(range(1, 101))
    page = (await client(query, {"id": listing, "first": 1000, "after": 9500})).data
    assert [unit["position"] for unit in page["listing"]["bookableUnits"]] == list(
        range(9501, 10_001)
    )
    too_many = await client(query, {"id": listing, "first": 1001})
    assert too_many.codes == ["INVALID_INPUT"], too_many.body


async def test_bookable_units_of_many_listings_are_priced_by_their_pages(app, client):
    query = "{ listings(first: 100) { edges { node { bookableUnits(first: 1000) { label } } } } }"
    with sql_statements(app) as statements:
        answer = await client(query)
    assert statements == []
    assert answer.codes == [COSTLY], answer.body


async def test_search_slots_over_ten_thousand_held_units_stays_quick(client, db, huge_equipment):
    """Every item held somewhere in the day: the old count looked at every held unit for
    each of the day's 288 slots (seconds of CPU on the event loop)."""
    guest = await make_user(db, Role.GUEST)
    day = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    for hour in range(0, 20, 2):  # ten bookings of 1,000 items, two hours apart
        await book_slot(
            db,
            guest,
            huge_equipment,
            day + timedelta(hours=hour),
            day + timedelta(hours=hour + 1),
            quantity=1000,
        )
    query = """query($id: ID!, $date: Date!) { searchSlots(listingId: $id, date: $date) {
      edges { node { slots { startsAt freeUnits } } } } }"""
    variables = {"id": global_id("Listing", huge_equipment), "date": day.date().isoformat()}
    answer, stall = await with_longest_stall(client(query, variables))
    slots = answer.data["searchSlots"]["edges"][0]["node"]["slots"]
    assert len(slots) == 288
    by_start = {slot["startsAt"][11:16]: slot["freeUnits"] for slot in slots}
    assert by_start["00:00"] == 9000 and by_start["01:00"] == 10_000
    assert by_start["00:55"] == 9000 and by_start["01:55"] == 10_000
    assert by_start["02:00"] == 9000
    # The event loop (and with it /healthz and every other request) went without a turn for
    # about a second per such listing before; now the count is a small part of that.
    assert stall < 0.4, stall


async def test_listing_creation_is_rate_limited(client, db, settings):
    host = await make_user(db, Role.HOST)
    token = await make_token(db, host)
    mutation = """mutation($n: String!) { createListing(input: {title: $n, nightlyPrice: "10.00"}) {
      listing { id } errors { code } } }"""
    codes = []
    for number in range(settings.listing_limit_per_principal + 1):
        answer = await client(mutation, {"n": f"Flood {number}"}, token=token)
        codes.append(answer.codes[0] if answer.codes else None)
    assert codes[:-1] == [None] * settings.listing_limit_per_principal
    assert codes[-1] == RATE_LIMITED
    # Aliased in one request: each counts.
    other = await make_token(db, await make_user(db, Role.HOST))
    aliases = " ".join(
        f'a{n}: createListing(input: {{title: "x{n}", nightlyPrice: "1"}}) {{ errors {{ code }} }}'
        for n in range(settings.listing_limit_per_principal + 1)
    )
    answer = await client(f"mutation {{ {aliases} }}", token=other)
    assert answer.codes == [RATE_LIMITED], answer.body


async def test_a_reservations_units_come_in_pages(client, db, host, huge_equipment):
    """One booking of 1,500 items: Reservation.units was an unpaged list priced as 10."""
    starts_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    starts_at -= timedelta(minutes=starts_at.minute % 5)
    booked = await book_slot(db, host, huge_equipment, starts_at, quantity=1500)
    query = """query($id: ID!, $first: Int) { node(id: $id) { ... on Reservation {
      units(first: $first) { position } } } }"""
    reservation = global_id("Reservation", booked.id)
    token = await make_token(db, host)
    default = (await client(query, {"id": reservation}, token=token)).data["node"]["units"]
    assert len(default) == 20
    page = (await client(query, {"id": reservation, "first": 1000}, token=token)).data
    assert len(page["node"]["units"]) == 1000
    too_many = await client(query, {"id": reservation, "first": 1001}, token=token)
    assert too_many.codes == ["INVALID_INPUT"], too_many.body
    nested = "{ reservations(first: 100) { edges { node { units(first: 1000) { label } } } } }"
    assert (await client(nested, token=token)).codes == [COSTLY]
