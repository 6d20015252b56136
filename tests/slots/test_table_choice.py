"""Choosing a table through the API: freeUnits lists the tables free for a window, bookSlot's
unitId books that one (or says why not), a host books one by phone for a named guest, and two
guests asking for the same table at once: exactly one gets it."""

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text

from bookwell.core.ids import global_id
from bookwell.models import ListingKind, Role
from bookwell.services.listings.units import SlotSettings, TableSpec
from tests.factories import MANY_HOLDS, make_listing, make_slot_listing, make_token, make_user

DAY = date.today() + timedelta(days=15)

FREE_UNITS = """
query($listingId: ID!, $startsAt: DateTime!, $partySize: Int) {
  freeUnits(listingId: $listingId, startsAt: $startsAt, partySize: $partySize) {
    id databaseId label seats position
  }
}"""

BOOK_SLOT = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) {
    reservation { id status guestName expiresAt partySize units { label seats } }
    errors { code field message }
  }
}"""


def at(hour: int) -> str:
    return datetime.combine(DAY, time(hour), tzinfo=UTC).isoformat()


async def restaurant(db, host) -> tuple[uuid.UUID, str]:
    """A restaurant with a 2-, a 4- and a 6-seat table: its database id and its global id."""
    settings = SlotSettings(
        opens_at=time(18),
        closes_at=time(23),
        tables=(TableSpec(2, "Bar"), TableSpec(4, "Garden"), TableSpec(6, "Window")),
    )
    listing_id = await make_listing(
        db, host, kind=ListingKind.RESTAURANT, nightly_price="0", slots=settings, **MANY_HOLDS
    )
    return listing_id, global_id("Listing", listing_id)


async def free(client, listing, party: int | None = None, hour: int = 19) -> dict[str, dict]:
    variables = {"listingId": listing, "startsAt": at(hour), "partySize": party}
    answer = await client(FREE_UNITS, variables)
    assert answer.status == 200, answer.body
    return {unit["label"]: unit for unit in answer.data["freeUnits"]}


async def book(client, token, **fields) -> dict:
    answer = await client(BOOK_SLOT, {"input": fields}, token=token)
    assert answer.status == 200, answer.body
    return answer.data["bookSlot"]


def codes(payload) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def test_a_guest_books_the_table_they_choose(client, db, host, guest_token):
    _, listing = await restaurant(db, host)
    tables = await free(client, listing, party=2)
    assert [(label, unit["seats"]) for label, unit in tables.items()] == [
        ("Bar", 2),
        ("Garden", 4),
        ("Window", 6),
    ]
    assert list(await free(client, listing, party=5)) == ["Window"]
    first_two = await client(
        FREE_UNITS.replace("partySize: $partySize)", "partySize: $partySize, first: 2)"),
        {"listingId": listing, "startsAt": at(19), "partySize": 1},
    )
    assert [unit["label"] for unit in first_two.data["freeUnits"]] == ["Bar", "Garden"]

    window = tables["Window"]["id"]
    made = await book(
        client, guest_token, listingId=listing, startsAt=at(19), partySize=2, unitId=window
    )
    assert made["errors"] == []
    assert made["reservation"]["units"] == [{"label": "Window", "seats": 6}]
    assert list(await free(client, listing, party=2)) == ["Bar", "Garden"]
    # A later sitting that does not overlap has the window again.
    assert "Window" in await free(client, listing, party=2, hour=21)

    again = await book(
        client,
        guest_token,
        listingId=listing,
        startsAt=at(20),
        partySize=2,
        unitId=tables["Window"]["databaseId"],
    )
    too_small = await book(
        client,
        guest_token,
        listingId=listing,
        startsAt=at(19),
        partySize=4,
        unitId=tables["Bar"]["id"],
    )
    unknown = await book(
        client,
        guest_token,
        listingId=listing,
        startsAt=at(19),
        partySize=2,
        unitId=global_id("ListingUnit", "01a00000-0000-7000-8000-000000000000"),
    )
    malformed = await book(
        client, guest_token, listingId=listing, startsAt=at(19), partySize=2, unitId="nope"
    )
    assert codes(again) == [("UNAVAILABLE", ["input", "unitId"])]
    assert "Window is not free" in again["errors"][0]["message"]
    assert codes(too_small) == [("TABLE_TOO_SMALL", ["input", "unitId"])]
    assert "Bar seats 2" in too_small["errors"][0]["message"]
    assert codes(unknown) == [("NOT_FOUND", ["input", "unitId"])]
    assert codes(malformed) == [("NOT_FOUND", ["input", "unitId"])]


async def test_another_listings_unit_and_a_chosen_unit_with_quantity(client, db, host, guest_token):
    _, listing = await restaurant(db, host)
    room_listing = global_id("Listing", await make_slot_listing(db, host, units=2, **MANY_HOLDS))
    rooms = await client(FREE_UNITS, {"listingId": room_listing, "startsAt": at(10)})
    room = rooms.data["freeUnits"][1]
    assert (room["label"], room["seats"]) == ("Room 2", None)

    elsewhere = await book(
        client, guest_token, listingId=listing, startsAt=at(19), partySize=2, unitId=room["id"]
    )
    two_rooms = await book(
        client,
        guest_token,
        listingId=room_listing,
        startsAt=at(10),
        quantity=2,
        unitId=room["id"],
    )
    one_room = await book(
        client, guest_token, listingId=room_listing, startsAt=at(10), unitId=room["id"]
    )
    assert codes(elsewhere) == [("NOT_FOUND", ["input", "unitId"])]
    assert codes(two_rooms) == [("INVALID_INPUT", ["input", "quantity"])]
    assert one_room["errors"] == []
    assert one_room["reservation"]["units"] == [{"label": "Room 2", "seats": None}]


async def test_a_host_books_a_table_by_phone_for_a_named_guest(
    client, db, host, host_token, guest_token
):
    _, listing = await restaurant(db, host)
    garden = (await free(client, listing, party=3))["Garden"]["id"]

    by_phone = await book(
        client,
        host_token,
        listingId=listing,
        startsAt=at(19),
        partySize=3,
        unitId=garden,
        guestName="Mrs Phone",
        bookedByHost=True,
    )
    unnamed = await book(
        client, host_token, listingId=listing, startsAt=at(20), partySize=2, bookedByHost=True
    )
    not_the_host = await book(
        client,
        guest_token,
        listingId=listing,
        startsAt=at(20),
        partySize=2,
        guestName="Someone",
        bookedByHost=True,
    )

    assert by_phone["errors"] == []
    phoned = by_phone["reservation"]
    assert (phoned["status"], phoned["guestName"], phoned["expiresAt"]) == (
        "CONFIRMED",
        "Mrs Phone",
        None,
    )
    assert phoned["units"] == [{"label": "Garden", "seats": 4}]
    assert codes(unnamed) == [("INVALID_INPUT", ["input", "guestName"])]
    assert codes(not_the_host) == [("FORBIDDEN", ["input", "bookedByHost"])]
    assert "Garden" not in await free(client, listing, party=3)


async def test_two_guests_asking_for_the_same_table_at_once_one_gets_it(client, db, host):
    listing_id, listing = await restaurant(db, host)
    garden = (await free(client, listing, party=2))["Garden"]["id"]
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(8)]

    answers = await asyncio.gather(
        *(
            book(client, token, listingId=listing, startsAt=at(19), partySize=2, unitId=garden)
            for token in tokens
        )
    )

    booked = [a for a in answers if a["reservation"]]
    assert len(booked) == 1
    assert booked[0]["reservation"]["units"] == [{"label": "Garden", "seats": 4}]
    assert all(
        codes(a) == [("UNAVAILABLE", ["input", "unitId"])] for a in answers if a not in booked
    )
    async with db.read() as session:
        holders = await session.scalar(
            text(
                "SELECT count(*) FROM reservation_units ru"
                " JOIN listing_units u ON u.id = ru.unit_id"
                " WHERE u.label = 'Garden' AND ru.holding AND u.listing_id = :id"
            ),
            {"id": listing_id},
        )
    assert holders == 1
