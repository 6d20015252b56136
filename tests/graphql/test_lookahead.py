"""Connections prefetch what their nodes select; answers must match the dataloader path."""

from datetime import date, timedelta

from bookwell.models import Role
from bookwell.services.booking.reservations import NewReservation, create_reservation
from tests.factories import MANY_HOLDS, make_listing, make_token, make_user

SOON = date.today() + timedelta(days=9)


async def _listings_with_reservations(db, count: int = 3, per_listing: int = 4):
    host = await make_user(db, Role.HOST, "Host H")
    guest = await make_user(db, Role.GUEST, "Guest G")
    made = []
    for n in range(count):
        listing_id = await make_listing(db, host, title=f"L{n}", units=3, city=None, **MANY_HOLDS)
        for k in range(per_listing):
            async with db.transaction() as session:
                await create_reservation(
                    session=session,
                    guest=guest,
                    data=NewReservation(listing_id, SOON + timedelta(days=2 * k), nights=1),
                )
        made.append(listing_id)
    return made, await make_token(db, host)


async def test_aliases_with_other_arguments_still_answer_right(client, db):
    made, token = await _listings_with_reservations(db)
    answer = await client(
        "{ listings { edges { node { two: reservations(first: 2) { edges { node { id } } } "
        "all: reservations(first: 10) { edges { node { id } } } owner { name } } } } }",
        token=token,
    )
    nodes = [e["node"] for e in answer.data["listings"]["edges"]]
    assert len(nodes) == len(made)
    for node in nodes:
        assert len(node["two"]["edges"]) == 2
        assert len(node["all"]["edges"]) == 4
        assert node["two"]["edges"] == node["all"]["edges"][:2]
        assert node["owner"] == {"name": "Host H"}


async def test_fragments_and_the_single_listing_path_agree(client, db):
    _, token = await _listings_with_reservations(db)
    via_connection = await client(
        """
        fragment Stay on Reservation { id startDate endDate nights status guest { name } }
        fragment Card on Listing {
          id title city kind owner { name } reservations(first: 3) { edges { node { ...Stay } } }
        }
        { listings { edges { node { __typename ...Card } } } }
        """,
        token=token,
    )
    for edge in via_connection.data["listings"]["edges"]:
        node = edge["node"]
        single = await client(
            "query($id: ID!) { listing(id: $id) { id title city kind owner { name } "
            "reservations(first: 3) { edges { node {"
            " id startDate endDate nights status guest { name } } } } } }",
            {"id": node["id"]},
            token=token,
        )
        assert node.pop("__typename") == "Listing"
        assert node == single.data["listing"]
        assert node["city"] is None
        nested = [edge["node"] for edge in node["reservations"]["edges"]]
        assert [r["guest"] for r in nested] == [{"name": "Guest G"}] * 3


async def test_nested_availability_matches_the_root_field(client, db):
    made, _ = await _listings_with_reservations(db, per_listing=1)
    end = SOON + timedelta(days=1)
    answer = await client(
        "query($s: Date!, $e: Date!) { searchAvailability(startDate: $s, nights: 1, quantity: 1)"
        " { edges { node { id availability(startDate: $s, endDate: $e) "
        "{ freeUnits available } } } } }",
        {"s": SOON.isoformat(), "e": end.isoformat()},
    )
    edges = answer.data["searchAvailability"]["edges"]
    assert len(edges) == len(made)
    for edge in edges:
        root = await client(
            "query($id: ID!, $s: Date!, $e: Date!) { availability(listingId: $id, "
            "startDate: $s, endDate: $e) { freeUnits available } }",
            {"id": edge["node"]["id"], "s": SOON.isoformat(), "e": end.isoformat()},
        )
        assert edge["node"]["availability"] == root.data["availability"]
        assert edge["node"]["availability"]["freeUnits"] == 2


async def test_nested_availability_with_a_bad_range_reports_it_per_field(client, db):
    await _listings_with_reservations(db, count=1, per_listing=0)
    answer = await client(
        '{ listings { edges { node { title availability(startDate: "2031-01-05", '
        'endDate: "2031-01-04") { freeUnits } } } } }'
    )
    assert answer.codes == ["INVALID_DATES"]


async def test_reservations_connection_prefetches_listing_and_guest(client, db):
    made, token = await _listings_with_reservations(db, count=2, per_listing=2)
    answer = await client(
        "{ reservations(first: 10) { edges { node { guestName listing { databaseId title } "
        "guest { name } } } } }",
        token=token,
    )
    nodes = [e["node"] for e in answer.data["reservations"]["edges"]]
    assert len(nodes) == 4
    assert {n["listing"]["databaseId"] for n in nodes} == {str(i) for i in made}
    assert all(n["guest"] == {"name": n["guestName"]} for n in nodes)


async def test_nested_page_size_out_of_range_is_invalid_input_on_both_paths(client, db):
    made, token = await _listings_with_reservations(db, count=1, per_listing=1)
    for first in (0, 51):
        listed = await client(
            f"{{ listings {{ edges {{ node {{ reservations(first: {first})"
            " { edges { node { id } } } } } } }",
            token=token,
        )
        single = await client(
            f'{{ listing(id: "{made[0]}") {{ reservations(first: {first})'
            " { edges { node { id } } } } }",
            token=token,
        )
        for answer in (listed, single):
            assert answer.codes == ["INVALID_INPUT"]
            assert answer.errors[0]["extensions"]["field"] == ["first"]
