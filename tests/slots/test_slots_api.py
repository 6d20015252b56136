"""Time-slot listings through the API: tables, rooms, DST days, and the race for a last table."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bookwell.models import ListingKind, Role
from bookwell.services.listings.units import SlotSettings
from tests.factories import MANY_HOLDS, make_listing, make_token, make_user

CREATE_LISTING = """
mutation($input: CreateListingInput!) {
  createListing(input: $input) {
    listing { id kind units slotMinutes sittingMinutes opensAt closesAt
              bookableUnits { label seats position } }
    errors { code field message }
  }
}"""

BOOK_SLOT = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) {
    reservation { id status startsAt endsAt partySize quantity startDate endDate
                  totalPrice { amount currency } units { label seats } }
    errors { code field message }
  }
}"""

SEARCH_SLOTS = """
query($date: Date!, $listingId: ID, $filter: ListingFilter, $partySize: Int, $minutes: Int) {
  searchSlots(date: $date, listingId: $listingId, filter: $filter, partySize: $partySize,
              minutes: $minutes) {
    totalCount
    edges { node { date listing { id title owner { name } }
                   slots { startsAt endsAt freeUnits } } }
  }
}"""

DAY = date.today() + timedelta(days=20)


def at(hour: int, minute: int = 0, day: date = DAY) -> str:
    """A UTC time on DAY (the listings below are in UTC)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).isoformat()


async def create_restaurant(client, host_token, tables, **fields) -> str:
    listing = {
        "kind": "RESTAURANT",
        "title": "Bistro",
        "nightlyPrice": "15.00",
        "currency": "EUR",
        "opensAt": "18:00",
        "closesAt": "23:00",
        "tables": [{"seats": seats} for seats in tables],
    } | fields
    answer = await client(CREATE_LISTING, {"input": listing}, token=host_token)
    payload = answer.data["createListing"]
    assert payload["errors"] == []
    return payload["listing"]["id"]


# bookSlot, not createReservation: a slot listing books through its own mutation, so this
# stays beside its only callers rather than in tests/factories.py.
async def book(client, token, **fields) -> dict:
    answer = await client(BOOK_SLOT, {"input": fields}, token=token)
    assert answer.status == 200
    return answer.data["bookSlot"]


async def test_a_restaurant_books_the_smallest_table_that_fits(client, host_token, guest_token):
    answer = await client(
        CREATE_LISTING,
        {
            "input": {
                "kind": "RESTAURANT",
                "title": "Bistro",
                "nightlyPrice": "15.00",
                "opensAt": "18:00",
                "closesAt": "00:30",
                "sittingMinutes": 90,
                "slotMinutes": 30,
                "tables": [{"seats": 6, "label": "Window"}, {"seats": 2}, {"seats": 4}],
            }
        },
        token=host_token,
    )
    listing = answer.data["createListing"]["listing"]
    assert listing["units"] == 3
    assert (listing["opensAt"], listing["closesAt"]) == ("18:00:00", "00:30:00")
    assert (listing["slotMinutes"], listing["sittingMinutes"]) == (30, 90)
    assert listing["bookableUnits"] == [
        {"label": "Window", "seats": 6, "position": 1},
        {"label": "Table 2", "seats": 2, "position": 2},
        {"label": "Table 3", "seats": 4, "position": 3},
    ]

    made = await book(client, guest_token, listingId=listing["id"], startsAt=at(23), partySize=3)
    assert made["errors"] == []
    reservation = made["reservation"]
    assert reservation["status"] == "PENDING"
    assert datetime.fromisoformat(reservation["startsAt"]) == datetime.fromisoformat(at(23))
    # A 90-minute sitting from 23:00 ends at 00:30 the next day, at closing time.
    assert datetime.fromisoformat(reservation["endsAt"]) == datetime.fromisoformat(
        at(0, 30, DAY + timedelta(days=1))
    )
    assert (reservation["partySize"], reservation["quantity"]) == (3, 1)
    assert (reservation["startDate"], reservation["endDate"]) == (
        DAY.isoformat(),
        (DAY + timedelta(days=1)).isoformat(),
    )
    assert reservation["units"] == [{"label": "Table 3", "seats": 4}]
    assert reservation["totalPrice"] == {"amount": "15.00", "currency": "USD"}

    too_big = await book(client, guest_token, listingId=listing["id"], startsAt=at(19), partySize=7)
    assert too_big["errors"] == [
        {
            "code": "INVALID_INPUT",
            "field": ["input", "partySize"],
            "message": "The largest table here seats 6; a party of 7 does not fit.",
        }
    ]
    late = await book(
        client, guest_token, listingId=listing["id"], startsAt=at(23, 30), partySize=2
    )
    assert [(e["code"], e["field"]) for e in late["errors"]] == [
        ("INVALID_DATES", ["input", "startsAt"])
    ]


async def test_spaces_book_whole_slots_and_adjacent_ones_touch(client, db, host, guest_token):
    listing_id = await make_listing(
        db, host, kind=ListingKind.SPACE, units=1, nightly_price="40", **MANY_HOLDS
    )
    first = await book(
        client, guest_token, listingId=str(listing_id), startsAt=at(10), endsAt=at(12)
    )
    assert first["reservation"]["totalPrice"]["amount"] == "80.00"
    touching = await book(client, guest_token, listingId=str(listing_id), startsAt=at(12))
    assert touching["errors"] == []
    overlapping = await book(
        client, guest_token, listingId=str(listing_id), startsAt=at(11), endsAt=at(13)
    )
    assert [e["code"] for e in overlapping["errors"]] == ["UNAVAILABLE"]
    ragged = await book(
        client, guest_token, listingId=str(listing_id), startsAt=at(14), endsAt=at(14, 30)
    )
    assert [(e["code"], e["field"]) for e in ragged["errors"]] == [
        ("INVALID_DATES", ["input", "endsAt"])
    ]
    past = await book(
        client,
        guest_token,
        listingId=str(listing_id),
        startsAt=at(10, day=date.today() - timedelta(days=1)),
    )
    assert [(e["code"], e["field"]) for e in past["errors"]] == [
        ("INVALID_DATES", ["input", "startsAt"])
    ]


async def test_cancelling_frees_the_table_at_once(client, host_token, guest_token):
    listing_id = await create_restaurant(client, host_token, [4])
    first = await book(client, guest_token, listingId=listing_id, startsAt=at(19), partySize=4)
    full = await book(client, guest_token, listingId=listing_id, startsAt=at(20), partySize=2)
    assert [e["code"] for e in full["errors"]] == ["UNAVAILABLE"]
    cancelled = await client(
        "mutation($id: ID!) { cancelReservation(id: $id) { reservation { status } } }",
        {"id": first["reservation"]["id"]},
        token=guest_token,
    )
    assert cancelled.data["cancelReservation"]["reservation"]["status"] == "CANCELLED"
    again = await book(client, guest_token, listingId=listing_id, startsAt=at(20), partySize=2)
    assert again["errors"] == []


async def deadlocks(db) -> int:
    async with db.read() as session:
        await session.execute(text("SELECT pg_stat_clear_snapshot()"))
        return await session.scalar(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        )


async def test_hundred_simultaneous_bookings_of_the_last_table(client, db, host_token):
    listing_id = await create_restaurant(client, host_token, [4, 4, 4])
    early = await make_token(db, await make_user(db, Role.GUEST))
    for _ in range(2):
        taken = await book(client, early, listingId=listing_id, startsAt=at(19), partySize=4)
        assert taken["errors"] == []
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(100)]
    # Sittings from 19:00 and 20:00 overlap each other and the two taken tables.
    starts = [at(19), at(20)]
    deadlocks_before = await deadlocks(db)

    answers = await asyncio.gather(
        *(
            client(
                BOOK_SLOT,
                {"input": {"listingId": listing_id, "startsAt": starts[n % 2], "partySize": 2}},
                token=token,
            )
            for n, token in enumerate(tokens)
        )
    )

    assert [a.status for a in answers] == [200] * 100
    payloads = [a.data["bookSlot"] for a in answers]
    booked = [p for p in payloads if p["reservation"]]
    refused = [p for p in payloads if not p["reservation"]]
    assert len(booked) == 1
    assert len(refused) == 99
    assert all([e["code"] for e in p["errors"]] == ["UNAVAILABLE"] for p in refused)
    # No deadlock may happen (each would cost deadlock_timeout and an error); timing goals
    # belong in bench/, so the server's own count decides.
    await asyncio.sleep(0.6)  # statistics reach pg_stat_database within PGSTAT_MIN_INTERVAL
    assert await deadlocks(db) == deadlocks_before
    async with db.read() as session:
        overlapping = await session.scalar(
            text("""
                SELECT count(*) FROM reservation_units a JOIN reservation_units b
                  ON a.unit_id = b.unit_id AND a.reservation_id < b.reservation_id
                 AND a.during && b.during
                WHERE a.holding AND b.holding
            """)
        )
        rows = await session.scalar(text("SELECT count(*) FROM reservations"))
    assert overlapping == 0
    assert rows == 3  # the losers left nothing behind


def next_clock_change(zone: ZoneInfo) -> date:
    """The next local day (from the day after tomorrow) on which the zone's offset changes."""
    day = date.today() + timedelta(days=2)
    while True:
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        if (midnight + timedelta(days=1)).utcoffset() != midnight.utcoffset():
            return day
        day += timedelta(days=1)


async def test_the_slots_of_a_day_the_clocks_change_tile_it(client, db, host, guest_token):
    zone = ZoneInfo("America/New_York")
    day = next_clock_change(zone)
    assert day < date.today() + timedelta(days=366)
    all_day = SlotSettings(opens_at=None, closes_at=None)
    listing_id = await make_listing(
        db,
        host,
        kind=ListingKind.SPACE,
        timezone=zone.key,
        nightly_price="10",
        slots=all_day,
        **MANY_HOLDS,  # the day is booked up slot by slot by one guest
    )

    async def free() -> list[dict]:
        answer = await client(SEARCH_SLOTS, {"date": day.isoformat(), "listingId": str(listing_id)})
        return answer.data["searchSlots"]["edges"][0]["node"]["slots"]

    slots = await free()
    starts = [datetime.fromisoformat(s["startsAt"]) for s in slots]
    ends = [datetime.fromisoformat(s["endsAt"]) for s in slots]
    day_start = datetime(day.year, day.month, day.day, tzinfo=zone)
    day_end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    real_hours = (day_end - day_start.astimezone(UTC)).total_seconds() / 3600
    assert real_hours in (23, 25)
    assert len(slots) == (23 if real_hours == 23 else 24)
    assert starts[0] == day_start and ends[-1] == day_end
    assert starts[1:] == ends[:-1]  # touching, never overlapping, no gap

    for slot in slots:
        made = await book(client, guest_token, listingId=str(listing_id), startsAt=slot["startsAt"])
        assert made["errors"] == [], slot
    assert await free() == []
    again = await book(
        client, guest_token, listingId=str(listing_id), startsAt=slots[1]["startsAt"]
    )
    assert [e["code"] for e in again["errors"]] == ["UNAVAILABLE"]


async def test_search_slots_by_listing_and_by_filter(client, db, host, host_token, guest_token):
    bistro = await create_restaurant(client, host_token, [2, 4], city="Lyon")
    await create_restaurant(client, host_token, [2], city="Lyon", title="Tiny")
    await make_listing(db, host, city="Lyon")  # a stay: never in searchSlots
    await book(client, guest_token, listingId=bistro, startsAt=at(19), partySize=3)

    one = await client(SEARCH_SLOTS, {"date": DAY.isoformat(), "listingId": bistro, "partySize": 3})
    result = one.data["searchSlots"]
    assert result["totalCount"] == 1
    node = result["edges"][0]["node"]
    assert node["date"] == DAY.isoformat()
    assert [(s["startsAt"], s["freeUnits"]) for s in node["slots"]] == [(at(21), 1)]

    many = await client(
        SEARCH_SLOTS, {"date": DAY.isoformat(), "filter": {"city": "Lyon"}, "partySize": 2}
    )
    nodes = [edge["node"] for edge in many.data["searchSlots"]["edges"]]
    assert many.data["searchSlots"]["totalCount"] == 2
    assert [(n["listing"]["title"], len(n["slots"])) for n in nodes] == [("Bistro", 4), ("Tiny", 4)]
    assert [s["freeUnits"] for s in nodes[0]["slots"]] == [1, 1, 1, 2]
    assert {n["listing"]["owner"]["name"] for n in nodes} == {"Hannah Host"}

    too_big = await client(
        SEARCH_SLOTS, {"date": DAY.isoformat(), "listingId": bistro, "partySize": 5}
    )
    assert too_big.codes == ["INVALID_INPUT"]
    both = await client(
        SEARCH_SLOTS, {"date": DAY.isoformat(), "listingId": bistro, "filter": {"city": "Lyon"}}
    )
    assert both.codes == ["INVALID_INPUT"]
    unknown = await client(
        SEARCH_SLOTS, {"date": DAY.isoformat(), "listingId": "00000000-0000-0000-0000-000000000000"}
    )
    assert unknown.codes == ["NOT_FOUND"]


async def test_book_slot_needs_a_principal_and_a_slot_listing(client, db, host, guest_token):
    stay_id = await make_listing(db, host)
    anonymous = await client(BOOK_SLOT, {"input": {"listingId": str(stay_id), "startsAt": at(10)}})
    assert anonymous.status == 401
    assert anonymous.codes == ["UNAUTHENTICATED"]
    stay = await book(client, guest_token, listingId=str(stay_id), startsAt=at(10))
    assert [(e["code"], e["field"]) for e in stay["errors"]] == [
        ("INVALID_INPUT", ["input", "listingId"])
    ]
    nowhere = await book(
        client, guest_token, listingId="00000000-0000-0000-0000-000000000000", startsAt=at(10)
    )
    assert [e["code"] for e in nowhere["errors"]] == ["NOT_FOUND"]


async def test_stays_have_no_slot_fields(client, db, host, guest_token):
    stay_id = await make_listing(db, host)
    made = await client(
        "mutation($input: CreateReservationInput!) { createReservation(input: $input) "
        "{ reservation { startsAt endsAt partySize units { label } listing { bookableUnits "
        "{ label } } } errors { code } } }",
        {"input": {"listingId": str(stay_id), "startDate": DAY.isoformat(), "nights": 2}},
        token=guest_token,
    )
    assert made.data["createReservation"]["reservation"] == {
        "startsAt": None,
        "endsAt": None,
        "partySize": None,
        "units": [],
        "listing": {"bookableUnits": []},
    }
