"""The compiled read path's other roots (issue 18): Query.reservations and Query.listing, and
a reservation's listing and guest, byte for byte what the ordinary executor answers for each
viewer (the world and the comparison of test_compiled_reads.py)."""

import pytest

from bookwell.services.accounts.principal import Principal
from tests.graphql import test_compiled_reads as reads
from tests.graphql.test_compiled_reads import VIEWERS, WRITTEN_TIMESTAMPS, _answer, _value

world = reads.world  # the same fixture

RESERVATIONS = """query Mine($first: Int, $last: Int, $after: String, $before: String,
    $listingId: ID, $status: ReservationStatus) {
  reservations(first: $first, last: $last, after: $after, before: $before,
      listingId: $listingId, status: $status) {
    totalCount __typename
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id guestName startDate status totalPrice { amount }
      listing { id title owner { id name } taxes { rate }
        reservations(first: 2) { totalCount edges { node { id guest { name } } } } }
      guest { __typename id databaseId name role } } } } }"""
LISTING = """query One($id: ID!) { listing(id: $id) { __typename id title bookingRules { minNights }
  owner { name } reservations(last: 3) { totalCount pageInfo { hasPreviousPage }
    edges { node { id listing { id } guest { id name } } } } } }"""
# Pages asked without a cursor (written as an array of edges) or with one, read from either end.
PAGES = """query Pages($first: Int, $last: Int, $after: String, $before: String) {
  reservations(first: $first, last: $last, after: $after, before: $before) {
    pageInfo { hasNextPage hasPreviousPage } totalCount edges { node { id } } } }"""
LISTINGS_PAGE = """query ListingsPage($first: Int, $last: Int) {
  listings(first: $first, last: $last) {
    pageInfo { hasPreviousPage hasNextPage } edges { node { id } } } }"""

# name: (document, variables), as test_compiled_reads.DOCUMENTS.
SIGNED_IN = {
    "my reservations": (RESERVATIONS, {}),
    "a page of two after a cursor": (RESERVATIONS, {"first": 2, "after": "reservation:1"}),
    "the last three before a cursor": (RESERVATIONS, {"last": 3, "before": "reservation:2"}),
    "of one listing": (RESERVATIONS, {"listingId": "listing:0"}),
    "of one listing by database id, pending": (
        RESERVATIONS,
        {"listingId": "uuid:2", "status": "PENDING"},
    ),
    "none confirmed": (RESERVATIONS, {"status": "CONFIRMED"}),
    "pages: the first one": (PAGES, {"first": 1}),
    "pages: the last one": (PAGES, {"last": 1}),
    "pages: two after a cursor": (PAGES, {"first": 2, "after": "reservation:1"}),
    "pages: two before a cursor": (PAGES, {"last": 2, "before": "reservation:2"}),
    "pages: all of them": (PAGES, {"first": 100}),
    "timestamps": (
        "{ reservations(first: 20) { edges { node { createdAt expiresAt confirmedAt startsAt"
        " endsAt listing { createdAt } } } } }",
        {},
    ),
}
EVERYONE = {
    "a listing": (LISTING, {"id": "listing:0"}),
    "a listing by database id": (LISTING, {"id": "uuid:2"}),
    "no such listing": (LISTING, {"id": "nope"}),
    "listings: the first two": (LISTINGS_PAGE, {"first": 2}),
    "listings: the last two": (LISTINGS_PAGE, {"last": 2}),
    "listings: all of them, from the end": (LISTINGS_PAGE, {"last": 100}),
    "listings: edges twice and a cursor": (
        "{ listings(first: 2) { a: edges { node { id } } b: edges { cursor }"
        " pageInfo { hasNextPage } } }",
        {},
    ),
    "a listing and its reservations beside": (
        "query($id: ID!) { listing(id: $id) { id } listings(first: 1) { totalCount } }",
        {"id": "listing:3"},
    ),
}


async def _both(db, settings, world, viewer, document, variables):
    variables = _value(variables, world)
    compiled = await _answer(db, settings, viewer, document, variables, compiled=True)
    ordinary = await _answer(db, settings, viewer, document, variables, compiled=False)
    return compiled, ordinary


@pytest.mark.parametrize("viewer_name", VIEWERS)
@pytest.mark.parametrize("name", [*SIGNED_IN, *EVERYONE])
async def test_the_compiled_answer_is_the_ordinary_one_byte_for_byte(
    db, settings, world, name, viewer_name
):
    document, variables = {**SIGNED_IN, **EVERYONE}[name]
    viewer = world["viewers"][viewer_name]
    compiled, ordinary = await _both(db, settings, world, viewer, document, variables)
    assert compiled[:2] == ordinary[:2]
    refused = viewer is None and name in SIGNED_IN
    assert compiled[2] is not refused, "the compiled path answered (not an anonymous caller)"
    assert (ordinary[1] != []) is refused
    if not refused and "nope" not in str(variables) and "CONFIRMED" not in str(variables):
        assert b'"id"' in compiled[0] or b'"createdAt":"' in compiled[0]  # not only nulls
    if name == "timestamps" and viewer_name == "admin":
        assert all(written in compiled[0] for written in WRITTEN_TIMESTAMPS[2:])


async def test_each_viewer_reads_their_own_reservations(db, settings, world):
    """Query.reservations in SQL: a guest sees theirs, a host their listings', an admin all;
    each reservation's listing shows only the reservations the viewer may see too."""
    seen = {}
    for viewer_name in ("guest", "host", "admin"):
        viewer = world["viewers"][viewer_name]
        document = "{ reservations(first: 50) { totalCount edges { node { id } } } }"
        body, errors, took = await _answer(db, settings, viewer, document, {}, compiled=True)
        assert took and errors == []
        seen[viewer_name] = body.count(b"UmVzZXJ2YXRpb2")  # base64 of "Reservation"
    assert seen == {"guest": 6, "host": 8, "admin": 12}


async def test_a_manage_link_reads_its_reservations_the_ordinary_way(db, settings, world):
    guest = world["viewers"]["guest"]
    scoped = Principal(guest.user_id, guest.role, reservation_scope=world["reservations"][0])
    compiled, ordinary = await _both(db, settings, world, scoped, RESERVATIONS, {})
    assert not compiled[2]
    assert compiled[:2] == ordinary[:2]
