"""A host's customers: the guests of their listings with contact details and statistics
(bookings, visits, no-shows, cancellations, last visit, total spent), each viewer seeing only
what their bookings show; and the phone number a user gives (updateProfile)."""

import pytest

from bookwell.flows import payments
from bookwell.models import Role
from bookwell.services.payments.builtin import BuiltinProvider
from tests.factories import book, in_days, make_listing, make_token, make_user, set_status

CUSTOMERS = """query($listing: ID) { customers(listingId: $listing) { totalCount edges { node {
  name email phone bookings visits noShows cancellations lastVisit
  totalSpent { amount currency } } } } }"""
PROFILE = """mutation($input: UpdateProfileInput!) { updateProfile(input: $input) {
  user { name phone } errors { code field } } }"""


@pytest.fixture
async def history(db, host, guest):
    """The guest's bookings on the host's listing: a visit (paid, 3 nights at 100), a
    cancellation, a no-show, an unpaid hold and a lapsed one; and another host's guest."""
    listing = await make_listing(db, host, units=5)
    start = in_days(3)  # COMPLETED in SQL: check-out is not the tests' to wait for
    visit = await book(db, guest, listing, start, nights=3)
    await payments.pay(
        db,
        principal=guest,
        reservation_id=visit.id,
        idempotency_key="p",
        provider=BuiltinProvider(),
    )
    await set_status(db, visit.id, "COMPLETED")
    await book(db, guest, listing, in_days(20), status="CANCELLED")
    await book(db, guest, listing, in_days(30), status="EXPIRED")
    await book(db, guest, listing, in_days(40))
    elsewhere = await make_listing(db, await make_user(db, Role.HOST), units=1)
    stranger = await make_user(db, Role.GUEST, "Sam Stranger")
    await book(db, stranger, elsewhere, in_days(5))
    await book(db, guest, elsewhere, in_days(6), status="COMPLETED")
    return listing, start


async def test_a_host_sees_their_guests_statistics(client, db, host_token, guest, history):
    _, start = history
    answer = await client(CUSTOMERS, token=host_token)
    assert answer.data["customers"]["totalCount"] == 1
    (customer,) = [edge["node"] for edge in answer.data["customers"]["edges"]]
    assert customer == {
        "name": "Gus Guest",
        "email": customer["email"],
        "phone": None,
        "bookings": 3,  # the lapsed hold is not a booking
        "visits": 1,  # their visit to another host's listing is not counted here
        "noShows": 0,
        "cancellations": 1,
        "lastVisit": start.isoformat(),
        "totalSpent": [{"amount": "300.00", "currency": "USD"}],
    }
    assert "***" not in customer["email"]


async def test_each_viewer_sees_only_their_own(client, db, guest_token, host, history):
    mine = (await client(CUSTOMERS, token=guest_token)).data["customers"]
    assert [edge["node"]["name"] for edge in mine["edges"]] == ["Gus Guest"]
    assert mine["edges"][0]["node"]["visits"] == 2  # a guest counts all their visits
    other_host = await make_token(db, await make_user(db, Role.HOST))
    none = (await client(CUSTOMERS, token=other_host)).data["customers"]
    assert none == {"totalCount": 0, "edges": []}
    admin = await make_token(db, await make_user(db, Role.ADMIN))
    everyone = (await client(CUSTOMERS, token=admin)).data["customers"]
    assert {"Gus Guest", "Sam Stranger"} <= {e["node"]["name"] for e in everyone["edges"]}
    assert "UNAUTHENTICATED" in (await client(CUSTOMERS)).codes


async def test_narrowed_to_one_listing(client, db, host, host_token, history):
    listing, _ = history
    from bookwell.core.ids import global_id

    other = await make_listing(db, host, units=1)
    one = await client(CUSTOMERS, {"listing": global_id("Listing", other)}, token=host_token)
    assert one.data["customers"]["totalCount"] == 0
    this = await client(CUSTOMERS, {"listing": global_id("Listing", listing)}, token=host_token)
    assert this.data["customers"]["totalCount"] == 1
    garbage = await client(CUSTOMERS, {"listing": "nope"}, token=host_token)
    assert garbage.codes == ["NOT_FOUND"]


async def test_pages_of_customers(client, db, host, host_token):
    listing = await make_listing(db, host, units=10)
    for day in range(5):
        await book(db, None, listing, in_days(10 + day))
    query = """query($after: String) { customers(first: 2, after: $after) {
      edges { node { name } } pageInfo { hasNextPage endCursor } } }"""
    names, after = [], None
    for _ in range(3):
        page = (await client(query, {"after": after}, token=host_token)).data["customers"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
    assert len(names) == len(set(names)) == 5
    assert page["pageInfo"]["hasNextPage"] is False


async def test_a_guest_gives_a_phone_number_their_host_sees(
    client, db, guest_token, host_token, history
):
    given = await client(PROFILE, {"input": {"phone": "+33 1 42 68 53 00"}}, token=guest_token)
    assert given.data["updateProfile"] == {
        "user": {"name": "Gus Guest", "phone": "+33142685300"},
        "errors": [],
    }
    customers = (await client(CUSTOMERS, token=host_token)).data["customers"]["edges"]
    assert customers[0]["node"]["phone"] == "+33142685300"
    me = "{ me { phone } }"
    assert (await client(me, token=guest_token)).data["me"]["phone"] == "+33142685300"
    cleared = await client(PROFILE, {"input": {"phone": None}}, token=guest_token)
    assert cleared.data["updateProfile"]["user"]["phone"] is None


@pytest.mark.parametrize("phone", ["0142685300", "+33 12", "call me", "+1" + "5" * 80, "\x00"])
async def test_a_bad_phone_number_changes_nothing(client, guest_token, phone):
    answer = await client(PROFILE, {"input": {"phone": phone, "name": " "}}, token=guest_token)
    payload = answer.data["updateProfile"]
    assert payload["user"] is None
    assert sorted(e["field"][-1] for e in payload["errors"]) == ["name", "phone"]
    assert {e["code"] for e in payload["errors"]} == {"INVALID_INPUT"}
    me = (await client("{ me { name phone } }", token=guest_token)).data["me"]
    assert me == {"name": "Gus Guest", "phone": None}


async def test_nobody_else_reads_a_users_phone(client, db, guest, guest_token, host_token):
    await client(PROFILE, {"input": {"phone": "+16502530000"}}, token=guest_token)
    from bookwell.core.ids import global_id

    query = "query($id: ID!) { node(id: $id) { ... on User { phone } } }"
    seen = await client(query, {"id": global_id("User", guest.user_id)}, token=host_token)
    assert seen.data["node"] is None or seen.data["node"]["phone"] is None
