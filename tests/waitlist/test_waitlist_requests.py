"""Special requests on waitlist entries (issue 19): checked as a booking's (plain text, at most
2000 characters), shown on the entry, and carried into the booking an offer makes, for stays
and slots; a refused join writes nothing."""

from datetime import timedelta

from sqlalchemy import text

from bookwell.core.errors import ErrorCode
from bookwell.models import Role
from tests.factories import (
    MANY_HOLDS,
    book,
    book_slot,
    make_listing,
    make_slot_listing,
    make_user,
    set_status,
)
from tests.waitlist.test_waitlist_guests import START, at, join, offered, refused

ASKS = "  Ground floor, please; we bring a dog <b>Rex</b>.  "


async def carried(db, entry_id) -> tuple:
    async with db.read() as session:
        return tuple(
            (
                await session.execute(
                    text("""
                    SELECT w.special_requests, r.special_requests
                      FROM waitlist_entries w JOIN reservations r ON r.id = w.reservation_id
                     WHERE w.id = :id"""),
                    {"id": entry_id},
                )
            ).one()
        )


async def entry_count(db) -> int:
    async with db.read() as session:
        return await session.scalar(text("SELECT count(*) FROM waitlist_entries"))


async def test_a_stay_entrys_requests_are_checked_and_carried_into_its_offer(db, host):
    listing_id = await make_listing(db, host, units=1)
    blocking = await book(db, None, listing_id, START, START + timedelta(days=2), confirmed=True)
    nights = {"start_date": START, "end_date": START + timedelta(days=2)}

    too_long = await refused(db, listing_id, special_requests="x" * 2001, **nights)
    assert (too_long.code, too_long.field) == (ErrorCode.INVALID_INPUT, ("specialRequests",))
    assert await entry_count(db) == 0
    entry = await join(db, listing_id, special_requests=ASKS, **nights)
    assert entry.special_requests == ASKS.strip()  # stored stripped, as a booking's

    await set_status(db, blocking.id, "CANCELLED")
    assert [row.id for row in await offered(db, listing_id)] == [entry.id]
    assert await carried(db, entry.id) == (ASKS.strip(), ASKS.strip())


async def test_a_slot_entrys_requests_are_carried_into_its_offer(db, host):
    space = await make_slot_listing(db, host, units=1, **MANY_HOLDS)
    blocking = await book_slot(db, await make_user(db, Role.GUEST), space, at(10))
    await set_status(db, blocking.id, "CONFIRMED")

    nul = await refused(db, space, starts_at=at(10), special_requests="a\x00b")
    assert (nul.code, nul.field) == (ErrorCode.INVALID_INPUT, ("specialRequests",))
    blank = await join(db, space, starts_at=at(10), special_requests="   ")
    assert blank.special_requests is None
    entry = await join(db, space, starts_at=at(10), special_requests=ASKS)

    await set_status(db, blocking.id, "CANCELLED")
    assert [row.id for row in await offered(db, space)] == [blank.id]
    assert await carried(db, blank.id) == (None, None)
    await set_status(db, (await _hold_of(db, blank.id)), "CANCELLED")
    assert [row.id for row in await offered(db, space)] == [entry.id]
    assert await carried(db, entry.id) == (ASKS.strip(), ASKS.strip())


async def _hold_of(db, entry_id):
    async with db.read() as session:
        return await session.scalar(
            text("SELECT reservation_id FROM waitlist_entries WHERE id = :id"), {"id": entry_id}
        )


JOIN = """
mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) {
    waitlistEntry { status specialRequests }
    errors { code field }
  }
}"""


async def test_join_waitlist_takes_and_shows_special_requests(client, db, host, guest_token):
    space = await make_slot_listing(db, host, units=1, **MANY_HOLDS)
    blocking = await book_slot(db, await make_user(db, Role.GUEST), space, at(10))
    await set_status(db, blocking.id, "CONFIRMED")
    wanted = {"listingId": str(space), "startsAt": at(10).isoformat()}

    too_long = await client(
        JOIN, {"input": wanted | {"specialRequests": "x" * 2001}}, token=guest_token
    )
    joined = await client(JOIN, {"input": wanted | {"specialRequests": ASKS}}, token=guest_token)

    assert too_long.data["joinWaitlist"] == {
        "waitlistEntry": None,
        "errors": [{"code": "INVALID_INPUT", "field": ["input", "specialRequests"]}],
    }
    assert joined.data["joinWaitlist"] == {
        "waitlistEntry": {"status": "WAITING", "specialRequests": ASKS.strip()},
        "errors": [],
    }
