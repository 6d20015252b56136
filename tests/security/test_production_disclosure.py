"""What a production server used to show anyone: GraphiQL, the whole schema by introspection,
demo data with a published password, and "Did you mean ...?" hints that spell out field,
argument, input-field and enum names to whoever guesses near them. With
BOOKWELL_ENVIRONMENT=production all of it is off unless asked for explicitly; the hints are
gone on every path (POST, GET, persisted queries, the websocket)."""

import hashlib
import json

import httpx
import pytest
from starlette.testclient import TestClient

from bookwell.app import create_app
from bookwell.core.config import Settings
from tests.support.lifespan import started

INTROSPECT = "{ __schema { queryType { name } } }"
# Each one near a real name: a field, an argument, an input object's field (literal and in
# variables), an enum value, a type in a variable definition.
NEAR_MISSES = [
    ("{ listingz { totalCount } }", None),
    ("{ listings(frist: 1) { totalCount } }", None),
    ('{ listings(filter: {citty: "Lyon"}) { totalCount } }', None),
    ("query($f: ListingFilter) { listings(filter: $f) { totalCount } }", {"f": {"citty": "L"}}),
    ("{ listings(filter: {kind: STAYY}) { totalCount } }", None),
    ("query($f: ListingFilter) { listings(filter: $f) { totalCount } }", {"f": {"kind": "STAYY"}}),
    ("query($f: ListingFiltr) { listings(filter: $f) { totalCount } }", None),
    ("{ listings { edges { node { titel } } } }", None),
]


def production(settings: Settings) -> Settings:
    """The test's settings with production's defaults (a new Settings: they depend on it)."""
    defaults = {"environment", "graphiql", "introspection", "seed_demo_data"}
    return Settings(**settings.model_dump(exclude=defaults), environment="production")


def test_production_turns_graphiql_introspection_and_demo_data_off(monkeypatch):
    monkeypatch.setenv("BOOKWELL_ENVIRONMENT", "production")
    settings = Settings()
    assert (settings.graphiql, settings.introspection, settings.seed_demo_data) == (
        False,
        False,
        False,
    )
    monkeypatch.setenv("BOOKWELL_GRAPHIQL", "true")
    monkeypatch.setenv("BOOKWELL_SEED_DEMO_DATA", "1")
    asked = Settings()
    assert asked.graphiql and asked.seed_demo_data and not asked.introspection
    monkeypatch.delenv("BOOKWELL_ENVIRONMENT")
    development = Settings(graphiql=False)
    assert development.introspection and development.seed_demo_data and not development.graphiql


async def test_a_production_server_shows_no_ide_and_no_schema(settings):
    async with started(create_app(production(settings))) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            page = await http.get("/graphql", headers={"Accept": "text/html"})
            schema = await http.post("/graphql", json={"query": INTROSPECT})
    assert page.status_code == 404
    assert "introspection" in schema.json()["errors"][0]["message"].lower()
    assert "data" not in schema.json() or not schema.json()["data"]


@pytest.fixture
async def prod_http(settings):
    async with started(create_app(production(settings))) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def _no_hint(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert response.json().get("errors"), response.text
    assert "did you mean" not in response.text.lower(), response.text


@pytest.mark.parametrize(("query", "variables"), NEAR_MISSES)
async def test_no_suggestions_over_post_get_and_persisted_queries(prod_http, query, variables):
    body = {"query": query, "variables": variables or {}}
    _no_hint(await prod_http.post("/graphql", json=body))
    params = {"query": query, "variables": json.dumps(variables or {})}
    _no_hint(await prod_http.get("/graphql", params=params))
    sha = hashlib.sha256(query.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    _no_hint(await prod_http.post("/graphql", json={**body, "extensions": persisted}))
    get_params = {"variables": json.dumps(variables or {}), "extensions": json.dumps(persisted)}
    answer = await prod_http.get("/graphql", params=get_params)
    assert "did you mean" not in answer.text.lower()


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('subscription { availabilityChangd(listingId: "x") { freeUnits } }', None),
        ('subscription { availabilityChanged(listingID: "x") { freeUnits } }', None),
        ('subscription { availabilityChanged(listingId: "x") { freeUnit } }', None),
        (
            "subscription($id: ID!, $f: ListingFilter) { availabilityChanged(listingId: $id) "
            "{ freeUnits } }",
            {"id": "x", "f": {"citty": "L"}},
        ),
        *NEAR_MISSES,
    ],
)
def test_no_suggestions_over_the_websocket(settings, query, variables):
    with (
        TestClient(create_app(production(settings))) as test_client,
        test_client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json() == {"type": "connection_ack"}
        payload = {"query": query, "variables": variables or {}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        answer = ws.receive_json()
        assert answer["type"] in ("error", "next"), answer
        assert "did you mean" not in json.dumps(answer).lower(), answer


async def test_suggestions_still_help_in_development(client):
    answer = await client("{ listingz { totalCount } }")
    assert "Did you mean" in answer.errors[0]["message"]
