"""The waitlist through the API: joinWaitlist, myWaitlist, leaveWaitlist."""

from sqlalchemy import text

from bookwell.core.ids import global_id
from bookwell.models import Role
from bookwell.services.waitlist.waitlist import offer_freed_units
from tests.factories import book, make_listing, make_token, make_user, set_status
from tests.support.api_calls import JOIN, START, join

LEAVE = """
mutation($id: ID!) {
  leaveWaitlist(id: $id) {
    waitlistEntry { id status offer { id status } }
    errors { code field message }
  }
}"""

MINE = """
query($first: Int!, $after: String) {
  myWaitlist(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id status position offeredAt
                   offer { id status expiresAt startDate endDate quantity } } }
  }
}"""


async def test_join_a_full_range_and_see_it_offered(client, db, host, guest, guest_token):
    listing_id = await make_listing(db, host, units=1)
    taken = (await book(db, None, listing_id, START, nights=2, confirmed=True)).id

    joined = await join(client, guest_token, listing_id)
    waiting = await client(MINE, {"first": 10}, token=guest_token)
    await set_status(db, taken, "CANCELLED")
    async with db.transaction() as session:
        await offer_freed_units(session=session, listing_id=listing_id)
    offered = await client(MINE, {"first": 10}, token=guest_token)

    assert joined["errors"] == []
    entry = joined["waitlistEntry"]
    assert entry["status"] == "WAITING"
    assert entry["position"] == 1
    assert (entry["startDate"], entry["nights"], entry["quantity"]) == (START.isoformat(), 2, 1)
    assert entry["listing"]["id"] == global_id("Listing", listing_id)
    assert waiting.data["myWaitlist"]["edges"][0]["node"]["offer"] is None
    node = offered.data["myWaitlist"]["edges"][0]["node"]
    assert node["status"] == "OFFERED"
    assert node["position"] is None
    assert node["offeredAt"] is not None
    assert node["offer"]["status"] == "PENDING"
    assert node["offer"]["expiresAt"] is not None
    assert node["offer"]["startDate"] == START.isoformat()


async def test_a_free_range_is_refused(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=2)
    await book(db, None, listing_id, START, nights=2, confirmed=True)

    answer = await join(client, guest_token, listing_id)

    assert answer["waitlistEntry"] is None
    assert [e["code"] for e in answer["errors"]] == ["INVALID_STATE"]
    assert "book it instead" in answer["errors"][0]["message"]


async def test_bad_input(client, db, host, guest_token):
    listing_id = await make_listing(db, host, units=1)
    await book(db, None, listing_id, START, nights=2, confirmed=True)

    too_many = await join(client, guest_token, listing_id, quantity=2)
    no_nights = await join(client, guest_token, listing_id, nights=0)
    unknown = await client(
        JOIN,
        {"input": {"listingId": "nope", "startDate": START.isoformat(), "nights": 1}},
        token=guest_token,
    )

    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [
        ("INVALID_INPUT", ["input", "quantity"])
    ]
    assert [e["code"] for e in no_nights["errors"]] == ["INVALID_DATES"]
    assert [e["code"] for e in unknown.data["joinWaitlist"]["errors"]] == ["NOT_FOUND"]


async def test_my_waitlist_shows_only_my_entries_newest_first(client, db, host, guest_token):
    other_token = await make_token(db, await make_user(db, Role.GUEST))
    listings = [await make_listing(db, host, units=1) for _ in range(3)]
    for listing_id in listings:
        await book(db, None, listing_id, START, nights=2, confirmed=True)
    mine = [(await join(client, guest_token, lid))["waitlistEntry"]["id"] for lid in listings]
    theirs = (await join(client, other_token, listings[0]))["waitlistEntry"]

    first = (await client(MINE, {"first": 2}, token=guest_token)).data["myWaitlist"]
    cursor = first["pageInfo"]["endCursor"]
    rest = (await client(MINE, {"first": 2, "after": cursor}, token=guest_token)).data
    other = (await client(MINE, {"first": 10}, token=other_token)).data["myWaitlist"]

    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    seen = [e["node"]["id"] for e in first["edges"] + rest["myWaitlist"]["edges"]]
    assert seen == mine[::-1]
    assert [e["node"]["id"] for e in other["edges"]] == [theirs["id"]]
    assert other["edges"][0]["node"]["position"] == 2


async def test_leave_own_entries_only(client, db, host, guest, guest_token):
    stranger_token = await make_token(db, await make_user(db, Role.GUEST))
    listing_id = await make_listing(db, host, units=1)
    taken = (await book(db, None, listing_id, START, nights=2, confirmed=True)).id
    first = (await join(client, guest_token, listing_id))["waitlistEntry"]["id"]
    second_token = await make_token(db, await make_user(db, Role.GUEST))
    second = (await join(client, second_token, listing_id))["waitlistEntry"]["id"]
    await set_status(db, taken, "CANCELLED")
    async with db.transaction() as session:
        await offer_freed_units(session=session, listing_id=listing_id)

    by_stranger = await client(LEAVE, {"id": first}, token=stranger_token)
    left = await client(LEAVE, {"id": first}, token=guest_token)
    again = await client(LEAVE, {"id": first}, token=guest_token)
    # Leaving released the offer's hold, and the resolver offered it to the next in line.
    next_in_line = (await client(MINE, {"first": 1}, token=second_token)).data["myWaitlist"]

    assert [e["code"] for e in by_stranger.data["leaveWaitlist"]["errors"]] == ["NOT_FOUND"]
    payload = left.data["leaveWaitlist"]
    assert payload["errors"] == []
    assert payload["waitlistEntry"]["status"] == "LEFT"
    assert payload["waitlistEntry"]["offer"]["status"] == "CANCELLED"
    assert [e["code"] for e in again.data["leaveWaitlist"]["errors"]] == ["INVALID_STATE"]
    node = next_in_line["edges"][0]["node"]
    assert (node["id"], node["status"], node["offer"]["status"]) == (second, "OFFERED", "PENDING")


async def test_an_offer_confirmed_shows_booked_before_any_offerer_runs(
    client, db, host, guest, guest_token
):
    listing_id = await make_listing(db, host, units=1)
    taken = (await book(db, None, listing_id, START, nights=2, confirmed=True)).id
    await join(client, guest_token, listing_id)
    await set_status(db, taken, "CANCELLED")
    async with db.transaction() as session:
        await offer_freed_units(session=session, listing_id=listing_id)
        await session.execute(
            text("""UPDATE reservations SET status = 'CONFIRMED', expires_at = NULL
                    WHERE guest_id = :guest"""),
            {"guest": guest.user_id},
        )

    node = (await client(MINE, {"first": 1}, token=guest_token)).data["myWaitlist"]["edges"][0]

    assert node["node"]["status"] == "BOOKED"
    assert node["node"]["offer"]["status"] == "CONFIRMED"


async def test_waitlist_needs_a_principal(client, db, host):
    listing_id = await make_listing(db, host, units=1)
    variables = {
        "input": {"listingId": str(listing_id), "startDate": START.isoformat(), "nights": 1}
    }

    joined = await client(JOIN, variables)
    listed = await client(MINE, {"first": 1})

    assert joined.status == listed.status == 401
    assert joined.codes == listed.codes == ["UNAUTHENTICATED"]
