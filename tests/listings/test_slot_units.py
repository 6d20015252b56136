"""updateListing's slotUnits: a restaurant's tables (and a space's rooms) added, removed,
resized and reordered; refused (UNITS_IN_USE, naming the bookings) when a live booking from
now on holds a unit removed or a table shrunk below its party; and a table removed while a
guest books it: never a booking on a removed table."""

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bookwell.core.ids import global_id
from bookwell.models import ListingKind, Role
from bookwell.services.listings.units import SlotSettings, TableSpec
from tests.factories import (
    MANY_HOLDS,
    book_slot,
    make_listing,
    make_slot_listing,
    make_token,
    make_user,
)
from tests.support.lifecycle_steps import Txn, until_waiting

DAY = date.today() + timedelta(days=12)

UPDATE = """
mutation($id: ID!, $input: UpdateListingInput!) {
  updateListing(id: $id, input: $input) {
    listing { units bookableUnits { id label seats position } }
    errors { code field message }
  }
}"""

BOOK_SLOT = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) {
    reservation { id databaseId status units { label seats } }
    errors { code field message }
  }
}"""


def at(hour: int, day: date = DAY) -> str:
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat()


async def restaurant(db, host) -> uuid.UUID:
    settings = SlotSettings(
        opens_at=time(0),
        closes_at=time(23),
        tables=(TableSpec(2, "Bar"), TableSpec(4, "Garden"), TableSpec(6, "Window")),
    )
    return await make_listing(
        db,
        host,
        kind=ListingKind.RESTAURANT,
        timezone="UTC",
        nightly_price="0",
        slots=settings,
        **MANY_HOLDS,
    )


async def update(client, token, listing_id, units) -> dict:
    variables = {"id": str(listing_id), "input": {"slotUnits": units}}
    answer = await client(UPDATE, variables, token=token)
    assert answer.status == 200, answer.body
    return answer.data["updateListing"]


async def tables(client, token, listing_id) -> dict[str, dict]:
    """The listing's units by label, read through the API."""
    answer = await client(
        "query($id: ID!) { node(id: $id) { ... on Listing { units "
        "bookableUnits { id databaseId label seats position } } } }",
        {"id": global_id("Listing", listing_id)},
        token=token,
    )
    return {unit["label"]: unit for unit in answer.data["node"]["bookableUnits"]}


async def book(client, token, listing_id, hour=19, **fields) -> dict:
    variables = {
        "input": {"listingId": global_id("Listing", listing_id), "startsAt": at(hour), **fields}
    }
    answer = await client(BOOK_SLOT, variables, token=token)
    assert answer.status == 200, answer.body
    return answer.data["bookSlot"]


async def test_a_host_adds_removes_resizes_and_reorders_tables(client, db, host, host_token):
    listing_id = await restaurant(db, host)
    before = await tables(client, host_token, listing_id)
    changed = await update(
        client,
        host_token,
        listing_id,
        [
            {"id": before["Window"]["id"], "seats": 8, "label": "Big window"},
            {"id": before["Bar"]["id"]},
            {"seats": 3},  # a new table, named by its position
            {"seats": 2, "label": "Terrace"},
        ],
    )
    assert changed["errors"] == []
    assert changed["listing"]["units"] == 4
    assert [
        (unit["label"], unit["seats"], unit["position"])
        for unit in changed["listing"]["bookableUnits"]
    ] == [("Big window", 8, 1), ("Bar", 2, 2), ("Table 3", 3, 3), ("Terrace", 2, 4)]
    assert changed["listing"]["bookableUnits"][0]["id"] == before["Window"]["id"]  # kept
    # Garden is gone: a party of 4 now gets the smallest table that seats it.
    booked = await book(client, host_token, listing_id, partySize=4)
    assert booked["reservation"]["units"] == [{"label": "Big window", "seats": 8}]
    garden = before["Garden"]["id"]
    refused = await book(client, host_token, listing_id, hour=20, partySize=2, unitId=garden)
    assert refused["errors"][0]["code"] == "NOT_FOUND"


async def test_a_spaces_rooms_change_and_mistakes_are_answered_at_once(
    client, db, host, host_token
):
    space = await make_slot_listing(db, host, units=2)
    rooms = list((await tables(client, host_token, space)).values())
    grown = await update(client, host_token, space, [{"id": rooms[0]["id"]}, {}, {}])
    assert [u["label"] for u in grown["listing"]["bookableUnits"]] == [
        "Room 1",
        "Room 2",
        "Room 3",
    ]
    assert grown["listing"]["units"] == 3
    other = await make_slot_listing(db, host, units=1)
    foreign = next(iter((await tables(client, host_token, other)).values()))["id"]
    refused = await update(
        client,
        host_token,
        space,
        [{"id": rooms[0]["id"]}, {"id": rooms[0]["id"]}, {"seats": 4}, {"id": foreign}],
    )
    assert [tuple(e["field"]) for e in refused["errors"]] == [
        ("input", "slotUnits", "1", "id")  # the same unit twice
    ]
    refused = await update(
        client, host_token, space, [{"id": rooms[0]["id"]}, {"seats": 4}, {"id": foreign}]
    )
    assert sorted(tuple(e["field"]) for e in refused["errors"]) == [
        ("input", "slotUnits", "1", "seats"),  # rooms have no seats
        ("input", "slotUnits", "2", "id"),  # another listing's
    ]
    assert (await update(client, host_token, space, []))["errors"][0]["field"] == [
        "input",
        "slotUnits",
    ]
    untouched = await tables(client, host_token, space)
    assert list(untouched) == ["Room 1", "Room 2", "Room 3"]
    stay = await make_listing(db, host)
    assert (await update(client, host_token, stay, [{}]))["errors"][0]["field"] == [
        "input",
        "slotUnits",
    ]
    guest = await make_token(db, await make_user(db, Role.HOST))
    assert (await update(client, guest, space, [{}]))["errors"][0]["code"] == "FORBIDDEN"


async def test_a_table_booked_from_now_on_is_neither_removed_nor_shrunk_below_its_party(
    client, db, host, host_token, guest_token
):
    listing_id = await restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    booked = await book(client, guest_token, listing_id, partySize=4, unitId=units["Garden"]["id"])
    assert booked["errors"] == []
    reservation = booked["reservation"]["databaseId"]
    keep = [{"id": units["Bar"]["id"]}, {"id": units["Window"]["id"]}]
    removed = await update(client, host_token, listing_id, keep)
    error = removed["errors"][0]
    assert (error["code"], error["field"]) == ("UNITS_IN_USE", ["input", "slotUnits"])
    assert "Garden" in error["message"] and "party of 4" in error["message"]
    assert reservation in error["message"]
    smaller = {"id": units["Garden"]["id"], "seats": 3}
    shrunk = await update(client, host_token, listing_id, [*keep, smaller])
    assert shrunk["errors"][0]["code"] == "UNITS_IN_USE"
    assert list(await tables(client, host_token, listing_id)) == ["Bar", "Garden", "Window"]
    # Seats the party still: allowed; so is shrinking the free Window.
    fine = await update(
        client,
        host_token,
        listing_id,
        [
            {"id": units["Bar"]["id"]},
            {"id": units["Garden"]["id"], "seats": 4, "label": "Patio"},
            {"id": units["Window"]["id"], "seats": 2},
        ],
    )
    assert fine["errors"] == []
    # Once the booking is over (or cancelled), the table may go; its booking still names it.
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"),
            {"id": reservation},
        )
    gone = await update(client, host_token, listing_id, keep)
    assert gone["errors"] == [] and gone["listing"]["units"] == 2
    async with db.transaction() as session:
        label = await session.scalar(
            text(
                "SELECT lu.label FROM reservation_units ru JOIN listing_units lu "
                "ON lu.id = ru.unit_id WHERE ru.reservation_id = :id"
            ),
            {"id": reservation},
        )
    assert label == "Patio"


async def test_a_past_booking_does_not_keep_a_table_and_the_database_refuses_a_removed_one(
    client, db, host, host_token
):
    listing_id = await restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    yesterday = date.today() - timedelta(days=1)
    past = await book_slot(
        db,
        host,
        listing_id,
        datetime.combine(yesterday, time(19), tzinfo=UTC),
        now=datetime.combine(yesterday, time(9), tzinfo=UTC),
        party_size=2,
        unit_id=uuid.UUID(units["Bar"]["databaseId"]),
        by_host=True,
        guest_name="Yesterday's guest",
    )
    gone = await update(client, host_token, listing_id, [{"id": units["Window"]["id"]}])
    assert gone["errors"] == []
    assert [u["label"] for u in gone["listing"]["bookableUnits"]] == ["Window"]
    # Whatever the application did, the trigger on reservation_units (migration 0023)
    # refuses a unit that is no longer the listing's.
    with pytest.raises(IntegrityError, match="is not one of the units of listing"):
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO reservation_units (reservation_id, unit_id, listing_id, during) "
                    "VALUES (:r, :u, :l, tstzrange(now() + interval '1 day', "
                    "now() + interval '25 hours'))"
                ),
                {"r": past.id, "u": units["Garden"]["databaseId"], "l": listing_id},
            )


async def race(client, db, host, host_token, first: str | None) -> tuple[dict, dict, uuid.UUID]:
    """A guest books the Bar while the host removes it: the booking's and the removal's
    answers. `first` ("booking" or "removal") forces who takes the listing's lock first: a
    transaction holds the row while both queue behind it; None lets them run."""
    listing_id = await restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    guest = await make_token(db, await make_user(db, Role.GUEST))
    keep = [{"id": units["Garden"]["id"]}, {"id": units["Window"]["id"]}]
    work = {
        "booking": lambda: book(client, guest, listing_id, partySize=2, unitId=units["Bar"]["id"]),
        "removal": lambda: update(client, host_token, listing_id, keep),
    }
    if first is None:
        booked, removed = await asyncio.gather(work["booking"](), work["removal"]())
        return booked, removed, listing_id
    blocker = Txn(db)
    lock = text("SELECT id FROM listings WHERE id = :id FOR UPDATE")
    await blocker.run(lambda s: s.execute(lock, {"id": listing_id}))
    second = "removal" if first == "booking" else "booking"
    answers = {first: asyncio.ensure_future(work[first]())}
    await until_waiting(db, answers[first], 1)
    answers[second] = asyncio.ensure_future(work[second]())
    await until_waiting(db, answers[second], 2)
    await blocker.commit()
    return await answers["booking"], await answers["removal"], listing_id


async def test_removing_a_table_while_a_guest_books_it_never_books_a_removed_table(
    client, db, host, host_token
):
    """The change locks the listing FOR UPDATE, every hold locks it first: one waits for the
    other. Either the booking is made and the removal names it, or the table is gone and
    the booking refused; never a booking on a removed table. Both orders are forced, then
    left to run."""
    outcomes = []
    for first in ("booking", "removal", None, None, None, None):
        booked, removed, listing_id = await race(client, db, host, host_token, first)
        assert (booked["errors"] == []) != (removed["errors"] == []), (booked, removed)
        if booked["errors"]:
            assert booked["errors"][0]["code"] in {"NOT_FOUND", "UNAVAILABLE"}
        else:
            assert removed["errors"][0]["code"] == "UNITS_IN_USE"
        outcomes.append(booked["errors"] == [])
        async with db.transaction() as session:
            on_removed = await session.scalar(
                text(
                    "SELECT count(*) FROM reservation_units ru "
                    "JOIN listing_units lu ON lu.id = ru.unit_id "
                    "WHERE ru.listing_id = :id AND ru.holding AND lu.listing_id IS NULL"
                ),
                {"id": listing_id},
            )
        assert on_removed == 0
    assert outcomes[:2] == [True, False]  # whoever took the lock first won


JOIN = """mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) { waitlistEntry { status } errors { code field message } }
}"""
MINE = (
    "{ myWaitlist(first: 5) { edges { node { status offer { status units { label seats } } } } } }"
)


async def test_a_table_added_is_offered_to_the_party_waiting(client, db, host, host_token):
    listing_id = await restaurant(db, host)
    units = await tables(client, host_token, listing_id)
    for _ in range(3):  # every table taken at 19:00
        token = await make_token(db, await make_user(db, Role.GUEST))
        assert (await book(client, token, listing_id, partySize=2))["errors"] == []
    waiter = await make_token(db, await make_user(db, Role.GUEST))
    listing = global_id("Listing", listing_id)
    joined = await client(
        JOIN, {"input": {"listingId": listing, "startsAt": at(19), "partySize": 4}}, token=waiter
    )
    assert joined.data["joinWaitlist"]["errors"] == []
    kept = [{"id": unit["id"]} for unit in units.values()]
    added = await update(client, host_token, listing_id, [*kept, {"seats": 4, "label": "Extra"}])
    assert added["errors"] == []
    [entry] = (await client(MINE, token=waiter)).data["myWaitlist"]["edges"]
    assert entry["node"]["status"] == "OFFERED"
    assert entry["node"]["offer"]["units"] == [{"label": "Extra", "seats": 4}]
