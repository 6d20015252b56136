"""The Relay server specification: global ids, `node`/`nodes` with each entity's own
visibility, `databaseId`, and connections paged from either end (first/after, last/before)
with a full PageInfo. relay-compiler itself compiles a SPA's documents in tests/clients."""

import base64
import uuid
from datetime import date, timedelta

import pytest

from bookwell.models import ListingKind, Role
from bookwell.services.booking.reservations import NewReservation, create_reservation
from tests.factories import MANY_HOLDS, make_listing, make_stay, make_token, make_user
from tests.support.api_calls import join, review

SOON = date.today() + timedelta(days=9)

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Listing { databaseId title }
  ... on Reservation { databaseId reservationStatus: status listing { id } }
  ... on User { databaseId name }
  ... on Review { databaseId rating }
  ... on WaitlistEntry { databaseId entryStatus: status }
  ... on PriceRule { databaseId name }
  ... on ListingUnit { databaseId label }
  ... on Payment { paymentStatus: status }
} }"""


def decoded(global_id: str) -> tuple[str, str]:
    type_name, _, raw = base64.b64decode(global_id).decode().partition(":")
    return type_name, raw


async def node(client, id_: str, token: str | None = None):
    answer = await client(NODE, {"id": id_}, token=token)
    assert answer.errors == [], answer.body
    return answer.data["node"]


async def test_ids_are_global_and_decode_to_the_database_id(client, db, host, guest, guest_token):
    listing_id = await make_listing(db, host, title="Loft")
    booked = await client(
        """mutation($input: CreateReservationInput!) { createReservation(input: $input) {
             reservation { id databaseId listing { id databaseId } guest { id databaseId }
                           payment { id } } errors { code } } }""",
        {
            "input": {
                "listingId": str(listing_id),
                "startDate": SOON.isoformat(),
                "nights": 2,
                "idempotencyKey": "relay-1",
            }
        },
        token=guest_token,
    )
    reservation = booked.data["createReservation"]["reservation"]
    assert decoded(reservation["id"]) == ("Reservation", reservation["databaseId"])
    assert decoded(reservation["listing"]["id"]) == ("Listing", str(listing_id))
    assert reservation["listing"]["databaseId"] == str(listing_id)
    assert decoded(reservation["guest"]["id"]) == ("User", str(guest.user_id))
    assert decoded(reservation["payment"]["id"]) == ("Payment", reservation["databaseId"])

    for id_, type_name in [
        (reservation["id"], "Reservation"),
        (reservation["listing"]["id"], "Listing"),
        (reservation["guest"]["id"], "User"),
        (reservation["payment"]["id"], "Payment"),
    ]:
        found = await node(client, id_, guest_token)
        assert found["__typename"] == type_name and found["id"] == id_


async def test_every_node_type_refetches(client, db, host, host_token, guest, guest_token):
    listing_id = await make_listing(db, host, title="Stay")
    space = await make_listing(db, host, title="Room", kind=ListingKind.SPACE, units=2)
    units = await client(
        "query($id: ID!) { listing(id: $id) { bookableUnits { id label } } }", {"id": str(space)}
    )
    unit = units.data["listing"]["bookableUnits"][0]
    assert (await node(client, unit["id"]))["label"] == unit["label"]
    rule = await client(
        """mutation($input: PriceRuleInput!) { addPriceRule(input: $input) {
             priceRule { id name } errors { code message } } }""",
        {
            "input": {
                "listingId": str(listing_id),
                "name": "Summer",
                "nightlyPrice": "150.00",
                "weekdays": [6, 7],
            }
        },
        token=host_token,
    )
    assert rule.data["addPriceRule"]["errors"] == [], rule.body
    rule_id = rule.data["addPriceRule"]["priceRule"]["id"]
    assert (await node(client, rule_id))["name"] == "Summer"

    reservation_id = await make_stay(db, guest, listing_id)
    written = await review(client, guest_token, reservation_id)
    found = await node(client, written["review"]["id"])
    assert found["__typename"] == "Review" and found["rating"] == 5

    full = await make_listing(db, host, title="Tiny", units=1)
    async with db.transaction() as session:
        await create_reservation(
            session=session,
            guest=guest,
            data=NewReservation(full, date.today() + timedelta(days=20), nights=2),
        )
    other = await make_user(db, Role.GUEST)
    other_token = await make_token(db, other)
    entry = (await join(client, other_token, full))["waitlistEntry"]
    assert (await node(client, entry["id"], other_token))["entryStatus"] == "WAITING"
    assert await node(client, entry["id"], guest_token) is None  # not hers
    assert await node(client, entry["id"]) is None


@pytest.mark.parametrize("who", ["anonymous", "stranger", "guest", "host", "admin"])
async def test_a_node_is_seen_exactly_where_the_api_shows_it(client, db, host, guest, who):
    listing_id = await make_listing(db, host, title="Seen")
    async with db.transaction() as session:
        row = await create_reservation(
            session=session, guest=guest, data=NewReservation(listing_id, SOON, nights=1)
        )
    principal = {
        "anonymous": None,
        "stranger": await make_user(db, Role.GUEST),
        "guest": guest,
        "host": host,
        "admin": await make_user(db, Role.ADMIN),
    }[who]
    token = await make_token(db, principal) if principal else None
    ids = {
        "reservation": _gid("Reservation", row.id),
        "payment": _gid("Payment", row.id),
        "guest": _gid("User", guest.user_id),
        "host": _gid("User", host.user_id),
        "listing": _gid("Listing", listing_id),
    }
    answer = await client(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": list(ids.values())}, token=token
    )
    assert answer.errors == [], answer.body
    seen = {name for name, found in zip(ids, answer.data["nodes"], strict=True) if found}
    expected = {
        "anonymous": {"host", "listing"},
        "stranger": {"host", "listing"},
        "guest": {"reservation", "payment", "guest", "host", "listing"},
        "host": {"reservation", "payment", "guest", "host", "listing"},
        "admin": {"reservation", "payment", "guest", "host", "listing"},
    }[who]
    assert seen == expected


def _gid(type_name: str, id_: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{id_}".encode()).decode()


async def test_ids_that_name_nothing_answer_null_never_an_error(client, db, host):
    listing_id = await make_listing(db, host)
    ids = [
        "not base64 at all!",
        base64.b64encode(b"no colon").decode(),
        _gid("Listing", uuid.uuid4()),  # nothing there
        _gid("Unknown", listing_id),  # a type that is not a node
        _gid("Reservation", listing_id),  # another type's id
        str(listing_id),  # a bare UUID names no type
        _gid("Listing", listing_id),
    ]
    answer = await client("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert answer.errors == []
    assert answer.data["nodes"] == [None] * 6 + [{"id": _gid("Listing", listing_id)}]
    too_many = await client("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids * 20})
    assert too_many.errors[0]["extensions"]["code"] == "INVALID_INPUT"


async def test_inputs_take_global_ids_and_bare_uuids_but_not_another_types(client, db, host):
    listing_id = await make_listing(db, host, title="Either")
    query = "query($id: ID!) { listing(id: $id) { title } }"
    for id_ in (_gid("Listing", listing_id), str(listing_id)):
        assert (await client(query, {"id": id_})).data["listing"] == {"title": "Either"}
    assert (await client(query, {"id": _gid("Reservation", listing_id)})).data["listing"] is None


PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  listings(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } }"""


async def test_connections_page_forward_and_backward(client, db, host):
    for n in range(5):
        await make_listing(db, host, title=f"L{n}")

    async def titles(**arguments):
        answer = await client(PAGE, arguments)
        assert answer.errors == [], answer.body
        found = answer.data["listings"]
        return [edge["node"]["title"] for edge in found["edges"]], found["pageInfo"], found

    first, info, page = await titles(first=2)
    assert first == ["L0", "L1"]
    assert info == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": page["edges"][0]["cursor"],
        "endCursor": page["edges"][1]["cursor"],
    }
    after, info, _ = await titles(first=2, after=info["endCursor"])
    assert after == ["L2", "L3"] and info["hasNextPage"] and info["hasPreviousPage"]

    last, info, _ = await titles(last=2)
    assert last == ["L3", "L4"]
    assert info["hasPreviousPage"] and not info["hasNextPage"]
    before, info, _ = await titles(last=2, before=info["startCursor"])
    assert before == ["L1", "L2"] and info["hasPreviousPage"] and info["hasNextPage"]
    start, info, _ = await titles(last=5, before=info["startCursor"])
    assert start == ["L0"] and not info["hasPreviousPage"]

    both = await client(PAGE, {"first": 1, "last": 1})
    assert both.body["data"] is None and both.codes == ["INVALID_INPUT"]
    empty, info, _ = await titles(
        first=2, after=page["edges"][1]["cursor"], before=page["edges"][1]["cursor"]
    )
    assert empty == [] and info["startCursor"] is None and info["endCursor"] is None


NESTED = """query($first: Int, $after: String, $last: Int, $before: String) {
  listings { edges { node { title
    reservations(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { startDate } }
    } } } } }"""


@pytest.mark.parametrize("extra", ["", "status listing { title }"], ids=["json", "objects"])
async def test_a_listings_reservations_are_a_connection_on_both_paths(client, db, extra):
    host = await make_user(db, Role.HOST)
    guest = await make_user(db, Role.GUEST)
    listing_id = await make_listing(db, host, title="Busy", units=1, **MANY_HOLDS)
    days = [SOON + timedelta(days=2 * k) for k in range(5)]
    for day in days:
        async with db.transaction() as session:
            await create_reservation(
                session=session, guest=guest, data=NewReservation(listing_id, day, nights=1)
            )
    token = await make_token(db, host)
    query = NESTED.replace("node { startDate }", f"node {{ startDate {extra} }}")

    async def page(**arguments):
        answer = await client(query, arguments, token=token)
        assert answer.errors == [], answer.body
        found = answer.data["listings"]["edges"][0]["node"]["reservations"]
        return [edge["node"]["startDate"] for edge in found["edges"]], found

    newest = [day.isoformat() for day in reversed(days)]  # newest booked first
    first, found = await page(first=2)
    assert first == newest[:2] and found["totalCount"] == 5
    assert found["pageInfo"]["hasNextPage"] and not found["pageInfo"]["hasPreviousPage"]
    assert found["pageInfo"]["endCursor"] == found["edges"][1]["cursor"]
    rest, found = await page(first=10, after=found["pageInfo"]["endCursor"])
    assert rest == newest[2:] and not found["pageInfo"]["hasNextPage"]
    oldest, found = await page(last=2)
    assert oldest == newest[3:] and found["pageInfo"]["hasPreviousPage"]
    anonymous = await client(query, {"first": 2})
    assert anonymous.data["listings"]["edges"][0]["node"]["reservations"]["edges"] == []
