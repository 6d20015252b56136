"""Who sees which reservation: a guest their own, a host those on their listings."""

from datetime import date, timedelta

from bookwell.models import Role
from tests.factories import MANY_HOLDS, book_over_graphql, make_listing, make_token, make_user

START = date.today() + timedelta(days=5)

ONE = "query($id: ID!) { reservation(id: $id) { id guestName } }"
LIST = "{ reservations(first: 50) { totalCount edges { node { id } } } }"
CANCEL = (
    "mutation($id: ID!) { cancelReservation(id: $id) { reservation { status } errors { code } } }"
)


async def test_each_principal_sees_only_what_is_theirs(client, db, host, guest):
    other_host = await make_user(db, Role.HOST)
    other_guest = await make_user(db, Role.GUEST)
    admin = await make_user(db, Role.ADMIN)
    tokens = {p: await make_token(db, p) for p in (host, guest, other_host, other_guest, admin)}
    listing_id = await make_listing(db, host, units=5)
    reservation_id = (await book_over_graphql(client, tokens[guest], listing_id, START, 1))["id"]

    for who, sees in [
        (guest, True),
        (host, True),
        (admin, True),
        (other_host, False),
        (other_guest, False),
    ]:
        one = await client(ONE, {"id": reservation_id}, token=tokens[who])
        listed = await client(LIST, token=tokens[who])
        assert (one.data["reservation"] is not None) is sees
        ids = [e["node"]["id"] for e in listed.data["reservations"]["edges"]]
        assert (reservation_id in ids) is sees
        assert listed.data["reservations"]["totalCount"] == len(ids)


async def test_strangers_cannot_cancel_and_learn_nothing(client, db, host, guest):
    stranger = await make_user(db, Role.GUEST)
    listing_id = await make_listing(db, host, units=5)
    reservation_id = (
        await book_over_graphql(client, await make_token(db, guest), listing_id, START, 1)
    )["id"]

    answer = await client(CANCEL, {"id": reservation_id}, token=await make_token(db, stranger))

    assert answer.data["cancelReservation"] == {
        "reservation": None,
        "errors": [{"code": "NOT_FOUND"}],
    }


async def test_host_may_cancel_a_stay_on_their_listing_once(client, db, host, guest):
    listing_id = await make_listing(db, host, units=5)
    reservation_id = (
        await book_over_graphql(client, await make_token(db, guest), listing_id, START, 1)
    )["id"]
    host_token = await make_token(db, host)

    first = await client(CANCEL, {"id": reservation_id}, token=host_token)
    second = await client(CANCEL, {"id": reservation_id}, token=host_token)

    assert first.data["cancelReservation"]["reservation"] == {"status": "CANCELLED"}
    assert second.data["cancelReservation"]["errors"] == [{"code": "INVALID_STATE"}]


async def test_reservations_paginate_newest_first_without_gaps(client, db, host, guest):
    token = await make_token(db, guest)
    listing_id = await make_listing(db, host, units=10, **MANY_HOLDS)
    made = [(await book_over_graphql(client, token, listing_id, START, 1))["id"] for _ in range(7)]
    seen, after = [], None
    while True:
        page = await client(
            "query($after: String) { reservations(first: 3, after: $after) "
            "{ edges { node { id } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
            token=token,
        )
        connection = page.data["reservations"]
        seen += [e["node"]["id"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == list(reversed(made))
