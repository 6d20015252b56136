"""Attack: an anonymous `Availability.nights` for a window at 0001-01-01. asyncpg sends
date.min as -infinity, and a date series from -infinity never ends: the statement held a
pooled connection until the statement timeout (15 s, then 503), and a few such requests
at once emptied the pool. The nights are counted as integers from the start instead."""

import asyncio
from datetime import date, timedelta

import pytest

from tests.factories import make_listing

NIGHTS = """query($id: ID!, $start: Date!, $end: Date!) {
  listing(id: $id) { availability(startDate: $start, endDate: $end) {
    available bookable nights { date freeUnits closedToArrival } } } }"""


@pytest.mark.parametrize(
    "start",
    [date.min, date(1, 1, 2), date(1900, 1, 1)],
    ids=["year-1", "year-1-day-2", "1900"],
)
async def test_any_window_answers_its_nights_at_once(client, db, host, start):
    listing_id = await make_listing(db, host, timezone="UTC", units=2)
    end = start + timedelta(days=4)
    variables = {"id": str(listing_id), "start": str(start), "end": str(end)}

    async with asyncio.timeout(10):  # a guard against the hang, not a speed goal
        answer = await client(NIGHTS, variables)

    assert answer.status == 200, answer.body
    found = answer.data["listing"]["availability"]
    assert [night["date"] for night in found["nights"]] == [
        str(start + timedelta(days=n)) for n in range(4)
    ]
    assert {night["freeUnits"] for night in found["nights"]} == {2}
    assert found["bookable"] is False  # in the past
    assert all(night["closedToArrival"] for night in found["nights"])
