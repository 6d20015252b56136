"""GraphQL over HTTP as clients expect it: media types and status codes, refusals as JSON,
Apollo's automatic persisted queries, caching, gzip and CORS. (The third-party clients
themselves run against a live server in tests/clients/.)"""

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.graphql.over_http import prefers_graphql_response
from tests.factories import make_listing
from tests.support.lifespan import started

GRAPHQL_RESPONSE = "application/graphql-response+json"
BOTH = f"{GRAPHQL_RESPONSE}, application/json;q=0.9"


async def post(client, body, accept=BOTH, **headers) -> httpx.Response:
    return await client.http.post("/graphql", json=body, headers={"Accept": accept, **headers})


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        (GRAPHQL_RESPONSE, True),
        (BOTH, True),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", False),
        (f"{GRAPHQL_RESPONSE};q=0", False),
        (f"{GRAPHQL_RESPONSE};q=nonsense, application/json", False),
    ],
)
def test_the_accept_header_chooses_the_format(accept, expected):
    assert prefers_graphql_response(accept) is expected


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"query": "{ listings { "}, "parse"),
        ({"query": "{ noSuchField }"}, "validation"),
        ({"query": "query($n: Int!) { listings(first: $n) { totalCount } }"}, "no variable"),
        (
            {
                "query": "query($n: Int!) { listings(first: $n) { totalCount } }",
                "variables": {"n": "many"},
            },
            "variable type",
        ),
    ],
)
async def test_request_errors_are_4xx_without_data_for_graphql_response_clients(client, body, why):
    response = await post(client, body)
    assert response.status_code == 400, why
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    answer = response.json()
    assert "data" not in answer and answer["errors"], why

    legacy = await post(client, body, accept="application/json")
    assert legacy.status_code == 200, why
    assert legacy.headers["content-type"] == "application/json; charset=utf-8"
    assert legacy.json()["data"] is None and legacy.json()["errors"]


async def test_answers_and_field_errors_keep_data(client):
    ok = await post(client, {"query": "{ listings(first: 1) { totalCount } }"})
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert ok.json() == {"data": {"listings": {"totalCount": 0}}}

    # Executed, then refused: a field error keeps `data` (null here) and says why.
    refused = await post(
        client,
        {
            "query": '{ report(startDate: "2027-01-01", endDate: '
            '"2027-01-02") { overall { bookedNights } } }'
        },
    )
    assert refused.status_code == 401
    assert "data" in refused.json()
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_bad_token_is_401_in_the_accepted_format(client):
    body = {"query": "{ me { id } }"}
    response = await post(client, body, Authorization="Bearer not-a-token")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in response.json()
    legacy = await post(client, body, accept="application/json", Authorization="Bearer nope")
    assert legacy.status_code == 401 and legacy.json()["data"] is None


@pytest.mark.parametrize(
    ("send", "status"),
    [
        (lambda http: http.post("/graphql", content=b"{not json", headers=_JSON), 400),
        (lambda http: http.post("/graphql", content=b"[1, 2]", headers=_JSON), 400),
        (lambda http: http.post("/graphql", json={"variables": {}}), 400),
        (
            lambda http: http.post("/graphql", json={"query": "{ me { id } }", "operationName": 1}),
            400,
        ),
        (
            lambda http: http.post(
                "/graphql", content=b"query", headers={"Content-Type": "text/plain"}
            ),
            400,
        ),
        (
            lambda http: http.get(
                "/graphql",
                params={
                    "query": "mutation { login(input: "
                    '{email: "a@b.c", password: "x"}) { accessToken } }'
                },
            ),
            405,
        ),
        (lambda http: http.put("/graphql", json={"query": "{ me { id } }"}), 405),
    ],
)
async def test_refused_requests_answer_json_never_text(client, send, status):
    response = await send(client.http)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["message"]
    assert "Traceback" not in response.text and "dict" not in response.text
    if status == 405:
        allowed = "POST" if response.request.method == "GET" else "GET, POST"
        assert response.headers["allow"] == allowed


_JSON = {"Content-Type": "application/json"}


async def test_a_subscription_over_plain_http_is_refused_not_run(client):
    subscription = 'subscription { availabilityChanged(listingId: "x") { freeUnits } }'
    for accept in (BOTH, "application/json"):
        response = await post(client, {"query": subscription}, accept=accept)
        assert response.status_code == 400
        assert "websocket" in response.json()["errors"][0]["message"]
    # A query that merely mentions the word runs as usual.
    named = await post(client, {"query": "query subscription { me { id } }"})
    assert named.json() == {"data": {"me": None}}


def _persisted(query: str | None, sha256: str) -> dict:
    body: dict = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}}}
    if query is not None:
        body["query"] = query
    return body


async def test_automatic_persisted_queries_as_apollo_sends_them(client):
    query = "{ listings(first: 2) { totalCount } }"
    sha256 = hashlib.sha256(query.encode()).hexdigest()

    unknown = await post(client, _persisted(None, sha256), accept="application/json")
    assert unknown.status_code == 200
    error = unknown.json()["errors"][0]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = await post(client, _persisted(query, sha256))
    assert registered.json() == {"data": {"listings": {"totalCount": 0}}}
    by_hash = await client.http.get(
        "/graphql",
        params={"extensions": json.dumps(_persisted(None, sha256)["extensions"])},
    )
    assert by_hash.json() == {"data": {"listings": {"totalCount": 0}}}

    other = "{ me { id } }"
    lying = await post(client, _persisted(other, sha256))
    assert lying.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    # The lie registered nothing: the hash still means the first query.
    again = await post(client, _persisted(None, sha256))
    assert again.json() == {"data": {"listings": {"totalCount": 0}}}


async def test_anonymous_get_answers_are_briefly_cacheable_and_token_answers_never(
    client, guest_token
):
    params = {"query": "{ listings(first: 1) { totalCount } }"}
    anonymous = await client.http.get("/graphql", params=params)
    assert anonymous.headers["cache-control"] == "public, max-age=10"
    assert "Authorization" in anonymous.headers["vary"]

    signed_in = await client.http.get(
        "/graphql", params=params, headers={"Authorization": f"Bearer {guest_token}"}
    )
    assert signed_in.status_code == 200
    assert signed_in.headers["cache-control"] == "no-store"
    posted = await client.http.post("/graphql", json=params)
    assert posted.headers["cache-control"] == "no-store"
    failed = await client.http.get("/graphql", params={"query": "{ nope }"})
    assert failed.headers["cache-control"] == "no-store"


async def test_large_answers_are_gzipped(client, db, host):
    for number in range(30):
        await make_listing(db, host, title=f"A rather long listing title, number {number}")
    query = "{ listings(first: 30) { edges { node { id title description timezone } } } }"
    response = await client.http.post(
        "/graphql", json={"query": query}, headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["data"]["listings"]["edges"]) == 30  # httpx inflated it
    small = await client.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Accept-Encoding": "gzip"}
    )
    assert "content-encoding" not in small.headers


@asynccontextmanager
async def _served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with started(create_app(settings)) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            yield http


def _preflight(origin: str, path: str = "/graphql") -> dict:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


@pytest.mark.parametrize(
    ("configured", "environment", "origin", "allowed"),
    [
        (None, "development", "http://localhost:5173", True),
        (None, "development", "http://127.0.0.1:3000", True),
        (None, "development", "http://localhost.evil.example:5173", False),
        (None, "development", "https://app.example.com", False),
        (None, "production", "http://localhost:5173", False),
        ("", "development", "http://localhost:5173", False),
        ("https://app.example.com", "production", "https://app.example.com", True),
        ("https://app.example.com", "production", "https://app.example.com.evil.io", False),
        ("https://*.example.com", "production", "https://shop.example.com", True),
        ("https://*.example.com", "production", "https://a.b.example.com", False),
        ("*", "production", "https://anywhere.example", True),
    ],
)
async def test_cors_allows_exactly_the_configured_origins(
    settings, configured, environment, origin, allowed
):
    changed = settings.model_copy(update={"cors_origins": configured, "environment": environment})
    async with _served(changed) as http:
        preflight = await http.options("/graphql", headers=_preflight(origin))
        answer = await http.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Origin": origin}
        )
    granted = preflight.headers.get("access-control-allow-origin")
    if not allowed:
        assert granted is None and "access-control-allow-origin" not in answer.headers
        return
    assert preflight.status_code == 200
    assert granted in (origin, "*")
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert int(preflight.headers["access-control-max-age"]) >= 600
    assert "access-control-allow-credentials" not in preflight.headers
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed


async def test_cors_covers_report_downloads_and_the_calendar_feed(client, db, host):
    listing = await make_listing(db, host)
    origin = {"Origin": "http://localhost:5173"}
    report = await client.http.get(f"/reports/{listing}.csv", headers=origin)
    feed = await client.http.get(f"/listings/{listing}/calendar.ics?token=wrong", headers=origin)
    for response in (report, feed):
        assert response.status_code in (401, 404)
        assert response.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_no_settings_file_is_needed_for_cors(tmp_path: Path):
    assert Settings(data_dir=tmp_path).cors_origins is None


async def test_json_posts_take_the_views_short_run_and_other_requests_strawberrys(
    client, monkeypatch
):
    """graphql/view.py's _run_post answers JSON POSTs (every JSON POST in these tests), so
    what they prove holds of it; GET and other content types keep Strawberry's run()."""
    from bookwell.graphql.view import BookwellGraphQL

    short: list[str] = []
    run_post = BookwellGraphQL._run_post

    async def counted(self, request):
        short.append(request.method)
        return await run_post(self, request)

    monkeypatch.setattr(BookwellGraphQL, "_run_post", counted)
    answer = await post(client, {"query": "{ __typename }"}, accept="application/json")
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert answer.headers["x-request-id"] and answer.headers["vary"]
    assert short == ["POST"]
    await client.http.get("/graphql", params={"query": "{ __typename }"})
    await client.http.post("/graphql", content="{}", headers={"Content-Type": "text/plain"})
    assert short == ["POST"]
