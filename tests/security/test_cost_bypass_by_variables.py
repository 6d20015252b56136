"""Attack: the query cost was estimated once per document (validation is cached per text),
from each variable's default; the client then sent larger values. A document whose literal
form costs millions ran for a cheap default and answered tens of thousands of objects.

The cost is now checked against the values each request actually sends (page sizes, list
lengths, @include/@skip), over POST, GET, persisted queries and the websocket, before any
resolver runs."""

import hashlib
import json
from datetime import date, timedelta

import pytest
from starlette.testclient import TestClient

from bookwell.app import create_app
from bookwell.core.ids import global_id
from bookwell.graphql.limits.cost import CODE as COSTLY
from bookwell.models import Role
from tests.factories import make_listing, make_user
from tests.support.graphql_client import Answer
from tests.support.sql_statements import sql_statements

DEEP = "reservations(first: 50) { edges { node { listing { reservations(first: 50) { edges { node { id } } } } } } }"  # noqa: E501

# (document, variables it runs cheaply with, variables that would make it cost millions)
VARIANTS = {
    "top-level page": (
        f"query($n: Int = 1) {{ listings(first: $n) {{ edges {{ node {{ {DEEP} }} }} }} }}",
        {},
        {"n": 100},
    ),
    "last instead of first": (
        f"query($n: Int = 1) {{ listings(last: $n) {{ edges {{ node {{ {DEEP} }} }} }} }}",
        {"n": 1},
        {"n": 100},
    ),
    "nested page": (
        "query($m: Int = 1) { listings(first: 100) { edges { node { reservations(first: $m) {"
        " edges { node { listing { reservations(first: 50) { edges { node { id } } } } } } } } } }"
        " }",
        {},
        {"m": 50},
    ),
    "nullable page": (
        f"query($n: Int) {{ listings(first: $n) {{ edges {{ node {{ {DEEP} }} }} }} }}",
        {"n": 1},
        {"n": 100},
    ),
    "inside a fragment": (
        "query($n: Int = 1) { ...Top } "
        f"fragment Top on Query {{ listings(first: $n) {{ edges {{ node {{ ...Deep }} }} }} }} "
        f"fragment Deep on Listing {{ {DEEP} }}",
        {},
        {"n": 100},
    ),
    "@include": (
        "query($deep: Boolean = false) { listings(first: 100) { edges { node { id "
        f"... @include(if: $deep) {{ {DEEP} }} }} }} }} }}",
        {},
        {"deep": True},
    ),
    "@skip on a field": (
        "query($shallow: Boolean! = true) { listings(first: 100) { edges { node { id "
        f"{DEEP.replace('(first: 50)', '(first: 50) @skip(if: $shallow)', 1)} }} }} }} }}",
        {},
        {"shallow": False},
    ),
    "list length": (
        'query($ids: [ID!]! = ["x"]) { nodes(ids: $ids) { ... on Listing {'
        " reservations(first: 50) { edges { node { id listing {"
        " reservations(first: 17) { edges { node { id } } } } } } } } } }",
        {},
        {"ids": ["x"] * 100},
    ),
    "list items as variables": (
        "query($a: ID!, $n: Int = 1) { nodes(ids: [$a, $a, $a, $a]) { ... on Listing {"
        " reservations(first: $n) { edges { node { id listing {"
        " reservations(first: 50) { edges { node { id } } } } } } } } } }",
        {"a": "x"},
        {"a": "x", "n": 50},
    ),
}


def refused_for_cost(answer: Answer) -> None:
    assert answer.status < 500, answer.body
    assert answer.codes == [COSTLY], answer.body
    assert answer.body.get("data") is None
    assert answer.errors[0]["extensions"]["cost"] > answer.errors[0]["extensions"]["maxCost"]


@pytest.mark.parametrize(("query", "cheap", "costly"), VARIANTS.values(), ids=VARIANTS.keys())
async def test_the_values_sent_are_priced_not_the_defaults(app, client, query, cheap, costly):
    answer = await client(query, cheap)
    assert COSTLY not in answer.codes, answer.body
    with sql_statements(app) as statements:
        answer = await client(query, costly)
    assert statements == []
    refused_for_cost(answer)


async def test_over_get(app, client):
    query, cheap, costly = VARIANTS["top-level page"]
    for variables, refused in ((cheap, False), (costly, True)):
        with sql_statements(app) as statements:
            response = await client.http.get(
                "/graphql", params={"query": query, "variables": json.dumps(variables)}
            )
        answer = Answer(response.status_code, response.json(), response.headers)
        if refused:
            assert statements == []
            refused_for_cost(answer)
        else:
            assert answer.errors == [], answer.body


async def test_through_a_persisted_query(app, client):
    query, cheap, costly = VARIANTS["nested page"]
    sha256 = hashlib.sha256(query.encode()).hexdigest()
    persisted = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}}}
    body = {"query": query, "variables": cheap, **persisted}
    first = await client.http.post("/graphql", json=body)
    assert first.json().get("errors") is None, first.json()
    with sql_statements(app) as statements:
        response = await client.http.post("/graphql", json={"variables": costly, **persisted})
    assert statements == []
    refused_for_cost(Answer(response.status_code, response.json(), response.headers))


async def test_a_request_without_variables_is_priced_as_before(client):
    # Literal page sizes are known at validation: the cached refusal still answers.
    query, _cheap, _costly = VARIANTS["top-level page"]
    literal = query.replace("query($n: Int = 1)", "").replace("$n", "100")
    refused_for_cost(await client(literal))


async def test_over_the_websocket(settings, db):
    """A subscription is priced with its variables too: each change answers its window's
    availability again, so a year's window weighs more than a weekend's."""
    host = await make_user(db, Role.HOST)
    listing = global_id("Listing", await make_listing(db, host))
    subscription = (
        "subscription($id: ID!, $start: Date, $end: Date) {"
        " availabilityChanged(listingId: $id, startDate: $start, endDate: $end) { freeUnits } }"
    )
    start = date.today() + timedelta(days=1)
    year = {"id": listing, "start": str(start), "end": str(start + timedelta(days=365))}
    strict = create_app(settings.model_copy(update={"max_query_cost": 5}))
    with (
        TestClient(strict) as test_client,
        test_client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket,
    ):
        socket.send_json({"type": "connection_init"})
        assert socket.receive_json() == {"type": "connection_ack"}
        payload = {"query": subscription, "variables": year}
        socket.send_json({"id": "1", "type": "subscribe", "payload": payload})
        refused = socket.receive_json()
        ended = socket.receive_json()
    # Refused before it streams: one answer with the error, then the end of the operation.
    assert refused["type"] == "next" and refused["payload"]["data"] is None, refused
    assert [error["extensions"]["code"] for error in refused["payload"]["errors"]] == [COSTLY]
    assert ended == {"id": "1", "type": "complete"}
