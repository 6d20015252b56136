"""Blackouts (issue 19.3): a host closes a stay's nights or a slot listing's hours for all
units or some; the blackout takes them through the same guarantee as a booking, so search
stops offering them, bookings in its way refuse it (named, never moved), and racing bookings
never overbook."""

import asyncio
import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text

from bookwell.core.ids import global_id
from bookwell.models import Role
from tests.factories import (
    MANY_HOLDS,
    book,
    book_slot,
    create_reservation_mutation,
    make_listing,
    make_slot_listing,
    make_token,
    make_user,
)
from tests.support.database import inventory_drift, over_allocated_nights
from tests.support.sql_statements import StatementCounter

BLACKOUT_FIELDS = "id databaseId reason startDate endDate startsAt endsAt units"
CREATE = f"""
mutation($input: CreateBlackoutInput!) {{
  createBlackout(input: $input) {{
    blackout {{ {BLACKOUT_FIELDS} }} conflictingReservationIds errors {{ code field message }}
  }}
}}"""
DELETE = f"""
mutation($id: ID!) {{
  deleteBlackout(id: $id) {{ blackout {{ {BLACKOUT_FIELDS} }} errors {{ code field message }} }}
}}"""
LISTING = """
query($id: ID!) {
  node(id: $id) { ... on Listing { blackouts { id reason units startDate endDate } } }
}"""


def free_units_query(windows: list[tuple[date, date]]) -> str:
    """The fewest free units over each window, aliased w0, w1, ..."""
    asked = " ".join(
        f'w{n}: availability(startDate: "{start}", endDate: "{end}") {{ freeUnits }}'
        for n, (start, end) in enumerate(windows)
    )
    return f"query($id: ID!) {{ node(id: $id) {{ ... on Listing {{ {asked} }} }} }}"


FREE_UNITS = """
query($listingId: ID!, $startsAt: DateTime!) {
  freeUnits(listingId: $listingId, startsAt: $startsAt) { label }
}"""
BOOK_SLOT = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) { reservation { id } errors { code } }
}"""
BOOK = create_reservation_mutation("id")
SEARCH_SLOTS = """
query($date: Date!, $listingId: ID) {
  searchSlots(date: $date, listingId: $listingId) {
    edges { node { slots { startsAt freeUnits } } }
  }
}"""


def soon(days: int) -> date:
    return date.today() + timedelta(days=days)


async def black_out(client, token, **fields) -> dict:
    answer = await client(CREATE, {"input": fields}, token=token)
    assert answer.status == 200, answer.body
    return answer.data["createBlackout"]


async def booked_nights(db, listing_id) -> dict[date, int]:
    async with db.read() as session:
        rows = await session.execute(
            text("SELECT night, booked FROM listing_nights WHERE listing_id = :id AND booked > 0"),
            {"id": listing_id},
        )
        return {row.night: row.booked for row in rows}


async def test_a_stay_blackout_takes_units_and_reports_bookings_in_its_way(
    client, db, host, host_token, guest, guest_token
):
    listing_id = await make_listing(db, host, units=3, timezone="UTC")
    listing = global_id("Listing", listing_id)
    booking = await book(db, guest, listing_id, soon(10), soon(12), quantity=2, paid=True)
    before = await booked_nights(db, listing_id)

    every_unit = await black_out(
        client, host_token, listingId=listing, startDate=str(soon(9)), endDate=str(soon(15))
    )
    assert every_unit["blackout"] is None
    assert every_unit["conflictingReservationIds"] == [global_id("Reservation", booking.id)]
    assert [(e["code"], e["field"]) for e in every_unit["errors"]] == [
        ("BLACKOUT_CONFLICT", ["input", "units"])
    ]
    assert global_id("Reservation", booking.id) in every_unit["errors"][0]["message"]
    assert await booked_nights(db, listing_id) == before  # nothing changed, nothing moved

    one_unit = await black_out(
        client,
        host_token,
        listingId=listing,
        startDate=str(soon(9)),
        endDate=str(soon(15)),
        units=1,
        reason="Repainting",
    )
    assert one_unit["errors"] == []
    made = one_unit["blackout"]
    assert (made["reason"], made["units"], made["startDate"], made["endDate"]) == (
        "Repainting",
        1,
        str(soon(9)),
        str(soon(15)),
    )
    assert made["startsAt"] is None
    # The booking's two nights are full now: a third unit cannot be booked on them.
    refused = await client(
        BOOK,
        {"input": {"listingId": listing, "startDate": str(soon(11)), "nights": 1}},
        token=guest_token,
    )
    assert [e["code"] for e in refused.data["createReservation"]["errors"]] == ["UNAVAILABLE"]

    seen = await client(LISTING, {"id": listing}, token=host_token)
    assert seen.data["node"]["blackouts"] == [
        {
            "id": made["id"],
            "reason": "Repainting",
            "units": 1,
            "startDate": str(soon(9)),
            "endDate": str(soon(15)),
        }
    ]
    windows = [
        (soon(9), soon(10)),
        (soon(10), soon(12)),
        (soon(12), soon(15)),
        (soon(15), soon(16)),
    ]
    free = await client(free_units_query(windows), {"id": listing})
    assert [free.data["node"][f"w{n}"]["freeUnits"] for n in range(4)] == [2, 0, 2, 3]
    by_guest = await client(LISTING, {"id": listing}, token=guest_token)
    assert by_guest.data["node"]["blackouts"] is None

    deleted = await client(DELETE, {"id": made["id"]}, token=host_token)
    assert deleted.data["deleteBlackout"]["errors"] == []
    assert await booked_nights(db, listing_id) == before
    again = await client(DELETE, {"id": made["id"]}, token=host_token)
    assert [e["code"] for e in again.data["deleteBlackout"]["errors"]] == ["NOT_FOUND"]
    after = await client(LISTING, {"id": listing}, token=host_token)
    assert after.data["node"]["blackouts"] == []


async def test_a_slot_blackout_closes_hours_and_search_follows(
    client, db, host, host_token, guest_token
):
    listing_id = await make_slot_listing(db, host, units=2, timezone="UTC", **MANY_HOLDS)
    listing = global_id("Listing", listing_id)
    day = soon(20)

    def at(hour: int, minute: int = 0) -> str:
        return datetime.combine(day, time(hour, minute), tzinfo=UTC).isoformat()

    booked = await client(
        BOOK_SLOT, {"input": {"listingId": listing, "startsAt": at(10)}}, token=guest_token
    )
    booking_id = booked.data["bookSlot"]["reservation"]["id"]

    both = await black_out(client, host_token, listingId=listing, startsAt=at(9, 30), endsAt=at(12))
    assert both["conflictingReservationIds"] == [booking_id]
    assert [e["code"] for e in both["errors"]] == ["BLACKOUT_CONFLICT"]

    one = await black_out(
        client, host_token, listingId=listing, startsAt=at(9, 30), endsAt=at(12), units=1
    )
    assert one["errors"] == []
    made = one["blackout"]
    assert made["units"] == 1
    assert datetime.fromisoformat(made["startsAt"]) == datetime.fromisoformat(at(9, 30))
    assert datetime.fromisoformat(made["endsAt"]) == datetime.fromisoformat(at(12))
    assert (made["startDate"], made["endDate"]) == (str(day), str(day + timedelta(days=1)))
    free = await client(FREE_UNITS, {"listingId": listing, "startsAt": at(10)})
    assert free.data["freeUnits"] == []
    search = await client(SEARCH_SLOTS, {"date": str(day), "listingId": listing})
    (edge,) = search.data["searchSlots"]["edges"]
    offered = {
        datetime.fromisoformat(slot["startsAt"]).hour: slot["freeUnits"]
        for slot in edge["node"]["slots"]
    }
    # 09:00 and 11:00 have the booked unit only; 10:00 has none; from 12:00 both are free.
    assert (offered[9], 10 in offered, offered[11], offered[12]) == (1, False, 1, 2)
    full = await client(
        BOOK_SLOT, {"input": {"listingId": listing, "startsAt": at(11)}}, token=guest_token
    )
    # The unit booked at 10:00 is free again at 11:00; the other is closed until 12:00.
    assert [e["code"] for e in full.data["bookSlot"]["errors"]] == []
    closed = await client(
        BOOK_SLOT, {"input": {"listingId": listing, "startsAt": at(11)}}, token=guest_token
    )
    assert [e["code"] for e in closed.data["bookSlot"]["errors"]] == ["UNAVAILABLE"]
    still_open = await client(FREE_UNITS, {"listingId": listing, "startsAt": at(12)})
    assert len(still_open.data["freeUnits"]) == 2


async def test_blackout_input_mistakes(client, db, host, host_token):
    stay = global_id("Listing", await make_listing(db, host, units=2, timezone="UTC"))
    room = global_id("Listing", await make_slot_listing(db, host, units=1, timezone="UTC"))
    later = datetime.now(UTC) + timedelta(days=3)
    cases = {
        "times on a stay": (
            {"listingId": stay, "startsAt": later.isoformat(), "endsAt": later.isoformat()},
            ["input", "startsAt"],
            ["input", "startDate"],  # and no dates given
        ),
        "no end": ({"listingId": stay, "startDate": str(soon(3))}, ["input", "startDate"]),
        "backwards": (
            {"listingId": stay, "startDate": str(soon(5)), "endDate": str(soon(3))},
            ["input", "endDate"],
        ),
        "in the past": (
            {"listingId": stay, "startDate": str(soon(-2)), "endDate": str(soon(3))},
            ["input", "startDate"],
        ),
        "too many units": (
            {"listingId": stay, "startDate": str(soon(2)), "endDate": str(soon(3)), "units": 3},
            ["input", "units"],
        ),
        "dates on a slot listing": (
            {"listingId": room, "startDate": str(soon(2)), "endDate": str(soon(3))},
            ["input", "startDate"],
            ["input", "startsAt"],  # and no times given
        ),
        "slot ends before it starts": (
            {
                "listingId": room,
                "startsAt": later.isoformat(),
                "endsAt": (later - timedelta(hours=1)).isoformat(),
            },
            ["input", "endsAt"],
        ),
        "too far ahead": (
            {"listingId": stay, "startDate": str(soon(800)), "endDate": str(soon(801))},
            ["input", "startDate"],
        ),
        "hours too far ahead": (
            {
                "listingId": room,
                "startsAt": "9999-12-31T20:00:00+00:00",
                "endsAt": "9999-12-31T21:00:00+00:00",
            },
            ["input", "startsAt"],
        ),
        "no UTC instant": (
            {
                "listingId": room,
                "startsAt": "0001-01-01T00:00:00+01:00",
                "endsAt": later.isoformat(),
            },
            ["input", "startsAt"],
        ),
        "a long reason": (
            {
                "listingId": stay,
                "startDate": str(soon(2)),
                "endDate": str(soon(3)),
                "reason": "x" * 201,
            },
            ["input", "reason"],
        ),
    }
    for name, (fields, *blamed) in cases.items():
        answer = await black_out(client, host_token, **fields)
        assert answer["blackout"] is None, name
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [
            ("INVALID_INPUT", field) for field in blamed
        ], name


async def test_a_stay_blackout_racing_bookings_never_overbooks(client, db, host, host_token):
    rng = random.Random(19)
    listing_id = await make_listing(db, host, units=3, timezone="UTC", **MANY_HOLDS)
    listing = global_id("Listing", listing_id)
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(30)]
    bookings = [
        {
            "listingId": listing,
            "startDate": str(soon(rng.randint(10, 18))),
            "nights": rng.randint(1, 4),
            "quantity": rng.randint(1, 2),
        }
        for _ in tokens
    ]
    blackouts = [
        {"listingId": listing, "startDate": str(soon(12)), "endDate": str(soon(16))},
        {"listingId": listing, "startDate": str(soon(14)), "endDate": str(soon(20)), "units": 2},
        {"listingId": listing, "startDate": str(soon(10)), "endDate": str(soon(13)), "units": 1},
    ]

    answers = await asyncio.gather(
        *(client(BOOK, {"input": b}, token=t) for b, t in zip(bookings, tokens, strict=True)),
        *(client(CREATE, {"input": b}, token=host_token) for b in blackouts),
    )

    assert all(answer.status == 200 for answer in answers)
    made = [a.data["createBlackout"] for a in answers[len(tokens) :]]
    for payload in made:
        assert (payload["blackout"] is None) == bool(payload["errors"])
        assert {e["code"] for e in payload["errors"]} <= {"BLACKOUT_CONFLICT"}
    assert await over_allocated_nights(db) == []
    assert await inventory_drift(db) == []
    # Whatever won, each night's bookings and blackouts together fit the three units.
    async with db.read() as session:
        worst = await session.scalar(
            text(
                "SELECT max(taken) FROM (SELECT g::date AS night, sum(r.quantity) AS taken "
                "FROM reservations r CROSS JOIN generate_series(r.start_date, r.end_date - 1, "
                "interval '1 day') g WHERE r.listing_id = :id "
                "AND r.status IN ('PENDING', 'CONFIRMED', 'ACTIVE') GROUP BY 1) nights"
            ),
            {"id": listing_id},
        )
    assert worst is not None and worst <= 3


async def test_a_slot_blackout_racing_bookings_never_overbooks(client, db, host, host_token):
    listing_id = await make_slot_listing(db, host, units=2, timezone="UTC", **MANY_HOLDS)
    listing = global_id("Listing", listing_id)
    day = soon(21)
    starts = [datetime.combine(day, time(9 + n % 4), tzinfo=UTC).isoformat() for n in range(20)]
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in starts]
    window = {
        "listingId": listing,
        "startsAt": datetime.combine(day, time(10), tzinfo=UTC).isoformat(),
        "endsAt": datetime.combine(day, time(12), tzinfo=UTC).isoformat(),
    }

    answers = await asyncio.gather(
        *(
            client(BOOK_SLOT, {"input": {"listingId": listing, "startsAt": s}}, token=t)
            for s, t in zip(starts, tokens, strict=True)
        ),
        client(CREATE, {"input": window}, token=host_token),
    )

    blackout = answers[-1].data["createBlackout"]
    in_window = {window["startsAt"], datetime.combine(day, time(11), tzinfo=UTC).isoformat()}
    booked_in_window = [
        start
        for start, answer in zip(starts, answers, strict=False)
        if answer.data["bookSlot"]["reservation"] and start in in_window
    ]
    if blackout["blackout"] is not None:
        assert booked_in_window == []
    else:
        assert booked_in_window and blackout["conflictingReservationIds"]
    async with db.read() as session:
        collisions = await session.scalar(
            text(
                "SELECT count(*) FROM reservation_units a JOIN reservation_units b "
                "ON a.unit_id = b.unit_id AND a.reservation_id < b.reservation_id "
                "AND a.occupied && b.occupied WHERE a.holding AND b.holding "
                "AND a.listing_id = :id"
            ),
            {"id": listing_id},
        )
    assert collisions == 0


async def test_overdue_unpaid_holds_are_expired_not_reported(client, db, host, host_token, guest):
    stay_id = await make_listing(db, host, units=1, timezone="UTC")
    room_id = await make_slot_listing(db, host, units=1, timezone="UTC")
    day = soon(25)
    stay_hold = await book(db, guest, stay_id, day, nights=2)
    slot_hold = await book_slot(db, guest, room_id, datetime.combine(day, time(10), tzinfo=UTC))
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE reservations SET expires_at = now() - interval '1 minute' "
                "WHERE id IN (:a, :b)"
            ),
            {"a": stay_hold.id, "b": slot_hold.id},
        )

    stay = await black_out(
        client,
        host_token,
        listingId=global_id("Listing", stay_id),
        startDate=str(day),
        endDate=str(day + timedelta(days=1)),
    )
    room = await black_out(
        client,
        host_token,
        listingId=global_id("Listing", room_id),
        startsAt=datetime.combine(day, time(9), tzinfo=UTC).isoformat(),
        endsAt=datetime.combine(day, time(12), tzinfo=UTC).isoformat(),
    )

    assert (stay["errors"], room["errors"]) == ([], [])
    async with db.read() as session:
        statuses = await session.execute(
            text("SELECT status FROM reservations WHERE id IN (:a, :b)"),
            {"a": stay_hold.id, "b": slot_hold.id},
        )
        assert set(statuses.scalars()) == {"EXPIRED"}
        told = await session.scalar(
            text(
                "SELECT count(*) FROM outbox WHERE event = 'reservation.expired' "
                "AND reservation_id IN (:a, :b)"
            ),
            {"a": stay_hold.id, "b": slot_hold.id},
        )
    assert told == 2
    assert await over_allocated_nights(db) == []


JOIN = """
mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) { waitlistEntry { databaseId status } errors { code } }
}"""


async def test_hours_reopened_are_offered_to_the_waitlist(
    client, db, host, host_token, guest_token
):
    listing_id = await make_slot_listing(db, host, units=1, timezone="UTC", **MANY_HOLDS)
    listing = global_id("Listing", listing_id)
    ten = datetime.combine(soon(22), time(10), tzinfo=UTC).isoformat()
    made = await black_out(
        client,
        host_token,
        listingId=listing,
        startsAt=ten,
        endsAt=datetime.combine(soon(22), time(12), tzinfo=UTC).isoformat(),
    )
    # Closed hours are full: the guest may wait for them.
    joined = await client(
        JOIN, {"input": {"listingId": listing, "startsAt": ten}}, token=guest_token
    )
    entry = joined.data["joinWaitlist"]["waitlistEntry"]
    assert entry["status"] == "WAITING"

    deleted = await client(DELETE, {"id": made["blackout"]["id"]}, token=host_token)

    assert deleted.data["deleteBlackout"]["errors"] == []
    async with db.read() as session:
        status = await session.scalar(
            text("SELECT status FROM waitlist_entries WHERE id = :id"),
            {"id": entry["databaseId"]},
        )
    assert status == "OFFERED"


async def test_a_page_of_listings_reads_its_blackouts_in_one_statement(client, app, db, host):
    """Listing.blackouts is batched: the statements do not grow with the listings."""
    token = await make_token(db, host)
    for n in range(6):
        listing_id = await make_listing(db, host, units=1, timezone="UTC")
        made = await black_out(
            client,
            token,
            listingId=global_id("Listing", listing_id),
            startDate=str(soon(5 + n)),
            endDate=str(soon(6 + n)),
            reason=f"Works {n}",
        )
        assert made["errors"] == []
    page = "query($n: Int!) { listings(first: $n) { edges { node { blackouts { reason } } } } }"

    counts = []
    for first in (2, 6):
        with StatementCounter(app) as counter:
            answer = await client(page, {"n": first}, token=token)
        edges = answer.data["listings"]["edges"]
        assert [len(edge["node"]["blackouts"]) for edge in edges] == [1] * first
        counts.append(counter.count)
    assert counts[0] == counts[1]
