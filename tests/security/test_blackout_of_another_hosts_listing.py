"""The attack: a host (or a guest) closes a competitor's listing with a blackout, or reopens
the dates its host closed, or reads the host's private reasons. Each is refused and nothing
changes: blackouts belong to the listing's host (and admins)."""

from datetime import date, timedelta

from sqlalchemy import text

from bookwell.core.ids import global_id
from bookwell.models import Role
from tests.factories import book, make_listing, make_slot_listing, make_token, make_user

CREATE = """
mutation($input: CreateBlackoutInput!) {
  createBlackout(input: $input) { blackout { id } errors { code field } }
}"""
DELETE = """
mutation($id: ID!) { deleteBlackout(id: $id) { blackout { id } errors { code field } } }
"""
BLACKOUTS = "query($id: ID!) { node(id: $id) { ... on Listing { blackouts { id reason } } } }"


async def blackouts_in_force(db, listing_id) -> int:
    async with db.read() as session:
        return await session.scalar(
            text(
                "SELECT count(*) FROM reservations WHERE listing_id = :id "
                "AND external_source = 'blackout' AND status = 'CONFIRMED'"
            ),
            {"id": listing_id},
        )


async def test_nobody_but_the_host_blacks_out_or_reopens_a_listing(client, db, host, host_token):
    rival = await make_user(db, Role.HOST)
    rival_token = await make_token(db, rival)
    guest_token = await make_token(db, await make_user(db, Role.GUEST))
    admin_token = await make_token(db, await make_user(db, Role.ADMIN))
    stay_id = await make_listing(db, host, units=2)
    room_id = await make_slot_listing(db, host, units=1, timezone="UTC")
    start = date.today() + timedelta(days=10)
    stay = {
        "listingId": global_id("Listing", stay_id),
        "startDate": str(start),
        "endDate": str(start + timedelta(days=5)),
    }
    room = {
        "listingId": global_id("Listing", room_id),
        "startsAt": f"{start}T09:00:00+00:00",
        "endsAt": f"{start}T18:00:00+00:00",
    }

    for token in (rival_token, guest_token):
        for attempt in (stay, room):
            answer = await client(CREATE, {"input": attempt}, token=token)
            assert answer.data["createBlackout"] == {
                "blackout": None,
                "errors": [{"code": "FORBIDDEN", "field": ["input", "listingId"]}],
            }
    anonymous = await client(CREATE, {"input": stay})
    assert anonymous.status == 401
    assert anonymous.body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await blackouts_in_force(db, stay_id) == 0
    assert await blackouts_in_force(db, room_id) == 0

    mine = await client(
        CREATE, {"input": {**stay, "reason": "Private family visit"}}, token=host_token
    )
    blackout_id = mine.data["createBlackout"]["blackout"]["id"]
    for token in (rival_token, guest_token):
        removed = await client(DELETE, {"id": blackout_id}, token=token)
        assert removed.data["deleteBlackout"]["errors"] == [{"code": "FORBIDDEN", "field": ["id"]}]
        seen = await client(BLACKOUTS, {"id": stay["listingId"]}, token=token)
        assert seen.data["node"]["blackouts"] is None  # the reason stays private
    assert await blackouts_in_force(db, stay_id) == 1

    by_admin = await client(BLACKOUTS, {"id": stay["listingId"]}, token=admin_token)
    assert [b["reason"] for b in by_admin.data["node"]["blackouts"]] == ["Private family visit"]
    # deleteBlackout cancels blackouts only, never a guest's booking (even the host's own
    # listing's, even by its bare UUID).
    booking = await book(db, None, stay_id, start + timedelta(days=6), nights=1, paid=True)
    for named in (str(booking.id), global_id("Reservation", booking.id)):
        wrong = await client(DELETE, {"id": named}, token=host_token)
        assert [e["code"] for e in wrong.data["deleteBlackout"]["errors"]] == ["NOT_FOUND"]
    async with db.read() as session:
        status = await session.scalar(
            text("SELECT status FROM reservations WHERE id = :id"), {"id": booking.id}
        )
    assert status == "CONFIRMED"
    assert await blackouts_in_force(db, stay_id) == 1
