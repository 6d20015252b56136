"""Attacks on what browsers and GraphQL clients reach (a review of the client-facing work):
persisted-query memory, the cost of `nodes`, a subscription smuggled over HTTP through a
persisted query, and which pages may open the websocket."""

import hashlib
from datetime import date, timedelta

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bookwell.app import create_app
from bookwell.core.ids import global_id
from bookwell.graphql.persisted_queries import MAX_DOCUMENT_BYTES, KnownDocuments
from bookwell.models import Role
from bookwell.services.booking.reservations import NewReservation, create_reservation
from tests.factories import MANY_HOLDS, make_listing, make_token, make_user
from tests.support.sql_statements import StatementCounter


def _persisted(query: str | None, sha256: str) -> dict:
    body: dict = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}}}
    return body if query is None else {"query": query, **body}


async def _registered(client, query: str) -> dict:
    sha256 = hashlib.sha256(query.encode()).hexdigest()
    await client.http.post("/graphql", json=_persisted(query, sha256))
    return (await client.http.post("/graphql", json=_persisted(None, sha256))).json()


@pytest.mark.parametrize(
    "junk",
    ["#" + "a" * 200_000, "{ listings { ", "{ noSuchField }"],
    ids=["a huge comment", "unparsable", "invalid"],
)
async def test_only_valid_documents_are_remembered(client, junk):
    answer = await _registered(client, junk)
    assert answer["errors"][0]["message"] == "PersistedQueryNotFound"


def test_remembered_documents_are_bounded_in_bytes():
    known = KnownDocuments(size=1000, max_bytes=10 * MAX_DOCUMENT_BYTES)
    for number in range(40):
        known.remember(f"{number:064x}", "x" * (MAX_DOCUMENT_BYTES - 1))
    assert known.bytes <= 10 * MAX_DOCUMENT_BYTES
    assert known.get(f"{39:064x}") is not None and known.get(f"{0:064x}") is None
    known.remember("f" * 64, "x" * (MAX_DOCUMENT_BYTES + 1))
    assert known.get("f" * 64) is None


async def test_a_subscription_cannot_be_smuggled_over_http_by_a_persisted_query(client, db):
    host = await make_user(db, Role.HOST)
    listing = global_id("Listing", await make_listing(db, host))
    both = (
        "query A { me { id } } "
        f'subscription S {{ availabilityChanged(listingId: "{listing}") {{ freeUnits }} }}'
    )
    sha256 = hashlib.sha256(both.encode()).hexdigest()
    first = await client.http.post(
        "/graphql", json={"operationName": "A", **_persisted(both, sha256)}
    )
    assert first.json() == {"data": {"me": None}}
    smuggled = await client.http.post(
        "/graphql", json={"operationName": "S", **_persisted(None, sha256)}
    )
    assert smuggled.status_code == 400
    assert smuggled.json()["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_OVER_HTTP"


async def test_nodes_cost_as_many_objects_as_ids_they_may_hold(client, db):
    host = await make_user(db, Role.HOST)
    listing = global_id("Listing", await make_listing(db, host))
    heavy = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Listing {
      reservations(first: 50) { edges { node { id listing {
        reservations(first: 17) { edges { node { id } } } } } } } } } }"""
    refused = await client(heavy, {"ids": [listing] * 100})
    assert refused.codes == ["QUERY_TOO_COSTLY"]
    literal = heavy.replace("query($ids: [ID!]!) { nodes(ids: $ids)", '{ nodes(ids: ["x"])')
    assert (await client(literal)).errors == []  # one id costs one listing's worth


async def test_payment_nodes_are_read_in_one_batch(app, client, db):
    host = await make_user(db, Role.HOST)
    guest = await make_user(db, Role.GUEST)
    listing = await make_listing(db, host, units=20, **MANY_HOLDS)
    ids = []
    for number in range(12):
        async with db.transaction() as session:
            row = await create_reservation(
                session=session,
                guest=guest,
                data=NewReservation(
                    listing, date.today() + timedelta(days=5 + 2 * number), nights=1
                ),
            )
        ids.append(global_id("Payment", row.id))
    token = await make_token(db, guest)
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Payment { status } } }"
    # The token is asked of the database once, then remembered (BOOKWELL_TOKEN_CACHE_SECONDS).
    await client(query, {"ids": ids[:1]}, token=token)
    with StatementCounter(app) as few:
        await client(query, {"ids": ids[:2]}, token=token)
    with StatementCounter(app) as many:
        answer = await client(query, {"ids": ids}, token=token)
    assert [node["status"] for node in answer.data["nodes"]] == ["UNPAID"] * 12
    assert many.count == few.count


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:5173", True),
        ("http://localhost", True),
        ("https://evil.example", False),
        ("http://localhost.evil.example", False),
    ],
)
def test_the_websocket_admits_the_origins_cors_admits(settings, origin, allowed):
    app = create_app(settings)
    with TestClient(app) as test_client:
        headers = {"origin": origin}
        if not allowed:
            with (
                pytest.raises(WebSocketDisconnect),
                test_client.websocket_connect(
                    "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
                ) as socket,
            ):
                socket.receive_text()
            return
        with test_client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
        ) as socket:
            socket.send_json({"type": "connection_init"})
            assert socket.receive_json() == {"type": "connection_ack"}
