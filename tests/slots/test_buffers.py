"""Buffer times around slot bookings (issue 19.2): the exclusion constraint compares each
booking's range widened by its buffers, search offers only what could be booked, and 50
racers for overlapping buffered slots get at most what fits."""

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.core.ids import global_id
from bookwell.models import Role
from bookwell.services.listings.listings import listings_by_ids
from bookwell.services.slots.search import SlotQuestion, free_slots
from tests.factories import (
    MANY_HOLDS,
    book_slot,
    make_slot_listing,
    make_token,
    make_user,
    set_status,
)
from tests.slots.slot_clock import NOW, berlin

DAY = date(2031, 3, 10)  # a Monday after NOW, in Berlin


async def buffered_room(db, host, before=0, after=30, units=1):
    listing_id = await make_slot_listing(db, host, units=units, slot_minutes=30, **MANY_HOLDS)
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE listings SET buffer_before_minutes = :before, "
                "buffer_after_minutes = :after WHERE id = :id"
            ),
            {"before": before, "after": after, "id": listing_id},
        )
    return listing_id


async def try_book(db, guest, listing_id, start: datetime, end: datetime) -> str:
    """OK, or the code of the refusal."""
    return (await attempt(db, guest, listing_id, start, end))[0]


async def attempt(db, guest, listing_id, start: datetime, end: datetime):
    """("OK", the reservation), or (the code of the refusal, None)."""
    try:
        made = await book_slot(db, guest, listing_id, start, end, now=NOW)
    except DomainError as error:
        return error.code.value, None
    return "OK", made


def at(hour: int, minute: int = 0) -> datetime:
    return berlin(2031, 3, 10, hour, minute)


def half_hours(first: time, last: time) -> list[time]:
    """Every start on the half-hour grid from `first` to `last`, both included."""
    day = datetime.combine(DAY, first)
    starts = []
    while day.time() <= last:
        starts.append(day.time())
        day += timedelta(minutes=30)
    return starts


async def free_starts(db, listing_id, minutes=30) -> list[time]:
    async with db.read() as session:
        (listing,) = await listings_by_ids(session=session, ids=[listing_id])
        answer = await free_slots(
            session=session,
            listings=[listing],
            question=SlotQuestion(day=DAY, minutes=minutes),
            now=NOW,
        )
    return [slot.starts_at.time() for slot in answer[listing_id]]


async def test_a_booking_keeps_its_buffer_free_and_search_says_so(db, host, guest):
    listing_id = await buffered_room(db, host, before=0, after=30)
    assert await try_book(db, guest, listing_id, at(10), at(11)) == "OK"

    # Taken [10:00, 11:30): nothing may begin before 11:30, nor run its own 30 minutes of
    # cleaning past 10:00.
    assert await free_starts(db, listing_id) == [time(9), *half_hours(time(11, 30), time(17, 30))]
    assert await try_book(db, guest, listing_id, at(11), at(11, 30)) == "UNAVAILABLE"
    assert await try_book(db, guest, listing_id, at(9, 30), at(10)) == "UNAVAILABLE"
    assert await try_book(db, guest, listing_id, at(9), at(10)) == "UNAVAILABLE"
    assert await try_book(db, guest, listing_id, at(9), at(9, 30)) == "OK"
    assert await try_book(db, guest, listing_id, at(11, 30), at(12)) == "OK"
    assert await free_starts(db, listing_id) == half_hours(time(12, 30), time(17, 30))


async def test_every_offered_slot_can_be_booked_and_no_other(db, host):
    """Search and booking agree slot by slot, with buffers before and after, and bookings
    on both of two units."""
    listing_id = await buffered_room(db, host, before=15, after=30, units=2)
    guest = await make_user(db, Role.GUEST)
    for start, end in [(at(10), at(11)), (at(12), at(12, 30)), (at(14, 30), at(15))]:
        assert await try_book(db, guest, listing_id, start, end) == "OK"
    assert await try_book(db, guest, listing_id, at(10, 30), at(11)) == "OK"  # the other unit
    offered = await free_starts(db, listing_id)
    assert time(9) in offered and time(11) not in offered
    for start in half_hours(time(9), time(17, 30)):
        moment = at(start.hour, start.minute)
        outcome, made = await attempt(db, guest, listing_id, moment, moment + timedelta(minutes=30))
        assert (outcome == "OK") == (start in offered), start
        if made is not None:  # undone, so each probe meets the same four bookings
            await set_status(db, made.id, "CANCELLED")


async def test_the_database_refuses_overlapping_buffers_whoever_writes(db, host, guest):
    listing_id = await buffered_room(db, host, before=0, after=30)
    made = await book_slot(db, guest, listing_id, at(10), at(11), now=NOW)
    with pytest.raises(IntegrityError, match="ex_reservation_units_no_overlap"):
        async with db.transaction() as session:
            # A second reservation's unit written by hand, starting in the first's buffer.
            await session.execute(
                text(
                    """
                    WITH r AS (
                        INSERT INTO reservations (id, listing_id, guest_name, start_date,
                            end_date, quantity, status, total_amount, currency, starts_at, ends_at)
                        SELECT gen_random_uuid(), listing_id, 'by hand', start_date, end_date,
                               1, 'CONFIRMED', 0, currency, ends_at + interval '15 minutes',
                               ends_at + interval '45 minutes'
                        FROM reservations WHERE id = :id
                        RETURNING id, starts_at, ends_at
                    )
                    INSERT INTO reservation_units (reservation_id, unit_id, listing_id, during)
                    SELECT r.id, u.unit_id, u.listing_id, tstzrange(r.starts_at, r.ends_at)
                    FROM r, reservation_units u WHERE u.reservation_id = :id
                    """
                ),
                {"id": made.id},
            )


LISTING = "id bufferBeforeMinutes bufferAfterMinutes"
CREATE = f"""
mutation($input: CreateListingInput!) {{
  createListing(input: $input) {{ listing {{ {LISTING} }} errors {{ code field }} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $input: UpdateListingInput!) {{
  updateListing(id: $id, input: $input) {{ listing {{ {LISTING} }} errors {{ code field }} }}
}}"""
BOOK_SLOT = """
mutation($input: BookSlotInput!) {
  bookSlot(input: $input) { reservation { id status } errors { code field message } }
}"""


def space(**fields):
    return {
        "kind": "SPACE",
        "title": "Meeting room",
        "nightlyPrice": "20",
        "timezone": "UTC",
        "slotMinutes": 30,
        "opensAt": "08:00:00",
        "closesAt": "20:00:00",
        **fields,
    }


async def test_hosts_set_buffers_through_the_api(client, host_token):
    made = await client(CREATE, {"input": space(bufferAfterMinutes=15)}, token=host_token)
    listing = made.data["createListing"]["listing"]
    assert listing["bufferBeforeMinutes"] == 0
    assert listing["bufferAfterMinutes"] == 15

    wrong = await client(
        CREATE,
        {"input": space(bufferBeforeMinutes=-1, bufferAfterMinutes=1441)},
        token=host_token,
    )
    stay = await client(
        CREATE,
        {"input": {"title": "Flat", "nightlyPrice": "90", "bufferAfterMinutes": 30}},
        token=host_token,
    )
    changed = await client(
        UPDATE, {"id": listing["id"], "input": {"bufferBeforeMinutes": 30}}, token=host_token
    )
    nulled = await client(
        UPDATE, {"id": listing["id"], "input": {"bufferAfterMinutes": None}}, token=host_token
    )

    assert sorted((e["code"], e["field"]) for e in wrong.data["createListing"]["errors"]) == [
        ("INVALID_INPUT", ["input", "bufferAfterMinutes"]),
        ("INVALID_INPUT", ["input", "bufferBeforeMinutes"]),
    ]
    assert stay.data["createListing"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["input", "bufferAfterMinutes"]}
    ]
    assert changed.data["updateListing"]["listing"] == {
        "id": listing["id"],
        "bufferBeforeMinutes": 30,
        "bufferAfterMinutes": 15,
    }
    assert nulled.data["updateListing"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["input", "bufferAfterMinutes"]}
    ]


async def test_a_change_of_buffers_applies_to_bookings_made_afterwards(db, host, guest):
    listing_id = await buffered_room(db, host, before=0, after=0)
    await book_slot(db, guest, listing_id, at(10), at(11), now=NOW)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET buffer_after_minutes = 60 WHERE id = :id"),
            {"id": listing_id},
        )
    # The first booking keeps no buffer, so 11:00 may start; a new booking brings its own
    # hour of cleaning, so it may not end after 09:00 before the first one.
    assert await try_book(db, guest, listing_id, at(9), at(9, 30)) == "UNAVAILABLE"
    assert await try_book(db, guest, listing_id, at(11), at(11, 30)) == "OK"
    async with db.read() as session:
        kept = await session.execute(
            text(
                "SELECT buffer_after_minutes FROM reservation_units WHERE listing_id = :id "
                "ORDER BY lower(during)"
            ),
            {"id": listing_id},
        )
        assert list(kept.scalars()) == [0, 60]


async def test_fifty_racers_for_overlapping_buffered_slots_get_what_fits(client, db, host):
    """Two rooms, 30 minutes of cleaning after each booking: every request (10:00-10:30 or
    10:30-11:00) collides with every other once buffered, so exactly two are booked."""
    listing_id = await make_slot_listing(
        db, host, units=2, slot_minutes=30, timezone="UTC", **MANY_HOLDS
    )
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET buffer_after_minutes = 30 WHERE id = :id"),
            {"id": listing_id},
        )
    day = datetime.now(UTC).date() + timedelta(days=20)
    tokens = [await make_token(db, await make_user(db, Role.GUEST)) for _ in range(50)]
    requests = [
        {
            "listingId": global_id("Listing", listing_id),
            "startsAt": datetime.combine(day, time(10, 30 * (n % 2)), tzinfo=UTC).isoformat(),
        }
        for n in range(50)
    ]

    answers = await asyncio.gather(
        *(
            client(BOOK_SLOT, {"input": request}, token=token)
            for request, token in zip(requests, tokens, strict=True)
        )
    )

    payloads = [answer.data["bookSlot"] for answer in answers]
    booked = [p for p in payloads if p["reservation"]]
    assert len(booked) == 2
    assert {e["code"] for p in payloads if not p["reservation"] for e in p["errors"]} == {
        ErrorCode.UNAVAILABLE.value
    }
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
