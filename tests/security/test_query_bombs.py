"""Abusive requests (deep, wide, aliased, huge, costly, batched) are refused with a clear
error before any resolver runs: not one SQL statement is issued for them. Reasonable
queries (the README's, the bench's nested read) still pass."""

import httpx
import pytest

from bookwell.app import create_app
from bookwell.graphql.limits.cost import CODE as COSTLY
from tests.support.graphql_client import Answer, GraphQLClient
from tests.support.lifespan import started
from tests.support.sql_statements import sql_statements

README_SEARCH = """{
  searchAvailability(startDate: "2027-03-01", nights: 3, filter: { city: "Paris" }) {
    totalCount
    edges { node { id title kind units nightlyPrice { amount currency }
                   availability(startDate: "2027-03-01", endDate: "2027-03-04") { freeUnits } } }
  }
}"""
README_REPORT = """{
  report(city: "Paris", startDate: "2027-03-01", endDate: "2027-04-01") {
    listings { title units bookedNights availableNights occupancyRate
               revenue { amount currency } adr { amount } revpar { amount }
               cancellations averageLeadTimeDays averageLengthOfStay
               nights { date booked held blocked free } }
    totals { currency listings occupancyRate revenue { amount } adr { amount } revpar { amount } }
    overall { bookedNights availableNights occupancyRate }
  }
}"""
BENCH_NESTED = (
    "query Nested($after: String) { listings(first: 100, after: $after) { edges { node {"
    " id title owner { id name }"
    " reservations(first: 5) { edges { node { id startDate endDate status } } } } } } }"
)
COSTLY_NESTING = """{ listings(first: 100) { edges { node {
  reservations(first: 50) { edges { node { listing { reservations(first: 50) { edges { node { id
    } } } } } } } } } } }"""


async def refused_without_sql(app, client, query: str, variables=None) -> Answer:
    with sql_statements(app) as statements:
        answer = await client(query, variables)
    assert statements == [], statements
    assert answer.status < 500
    assert answer.errors and answer.body.get("data") is None, answer.body
    return answer


async def test_costly_nesting_is_refused_with_its_cost(app, client, settings):
    answer = await refused_without_sql(app, client, COSTLY_NESTING)
    [error] = answer.errors
    assert error["extensions"]["code"] == COSTLY
    assert error["extensions"]["cost"] == 520_301
    assert error["extensions"]["maxCost"] == settings.max_query_cost
    assert "520301" in error["message"] and str(settings.max_query_cost) in error["message"]


async def test_cost_counts_fragments_and_the_variables_sent(app, client):
    through_fragment = """query { listings(first: 100) { edges { node { ...Deep } } } }
      fragment Deep on Listing { reservations(first: 50) { edges { node { listing { ...More } } }
        } }
      fragment More on Listing { reservations(first: 50) { edges { node { id } } } }"""
    answer = await refused_without_sql(app, client, through_fragment)
    assert answer.codes == [COSTLY]
    # A variable counts the value each request sends (tests/security/test_cost_bypass_by_
    # variables.py): one listing's worth passes, a hundred are refused.
    by_variable = """query($n: Int!) { listings(first: $n) { edges { node {
      reservations(first: 50) { edges { node { listing { reservations(first: 5) { edges { node {
        id } } } } } } } } } } }"""
    assert COSTLY not in (await client(by_variable, {"n": 1})).codes
    answer = await refused_without_sql(app, client, by_variable, {"n": 100})
    assert answer.codes == [COSTLY]


async def test_default_page_sizes_count(app, client, settings):
    # listings (20 by default) x reservations (10 by default) x listing x reviews (10);
    # a connection counts 1, and each edge 1 besides its node.
    query = """{ listings { edges { node { reservations { edges { node { listing {
      reviews { edges { node { id } } } } } } } } } } }"""
    strict = create_app(settings.model_copy(update={"max_query_cost": 1000}))
    async with started(strict) as strict:
        transport = httpx.ASGITransport(app=strict)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answer = await refused_without_sql(strict, GraphQLClient(http), query)
    assert answer.codes == [COSTLY]
    reviews = 1 + 10 * 2
    reservations = 1 + 10 * (2 + 1 + reviews)
    assert answer.errors[0]["extensions"]["cost"] == 1 + 20 * (2 + reservations)


@pytest.mark.parametrize("query", [README_SEARCH, BENCH_NESTED], ids=["readme", "bench"])
async def test_reasonable_reads_pass(client, query):
    answer = await client(query)
    assert answer.status == 200 and answer.errors == [], answer.body


async def test_readme_report_passes(client, host_token):
    answer = await client(README_REPORT, token=host_token)
    assert answer.status == 200 and answer.errors == [], answer.body


async def test_deep_query_is_refused(app, client, settings):
    inner, depth = "id", 3
    while depth <= settings.max_query_depth + 1:
        inner, depth = (
            f"reservations(first: 1) {{ edges {{ node {{ listing {{ {inner} }} }} }} }}",
            depth + 4,
        )
    query = f"{{ listings(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"
    answer = await refused_without_sql(app, client, query)
    assert "depth" in answer.errors[0]["message"]


async def test_aliased_query_is_refused(app, client, settings):
    aliases = " ".join(f"a{n}: listings(first: 1) {{ totalCount }}" for n in range(40))
    answer = await refused_without_sql(app, client, f"{{ {aliases} }}")
    assert "aliases" in answer.errors[0]["message"]


async def test_wide_query_is_refused(app, client):
    # Fewer aliases than the limit, but thousands of fields: too many tokens.
    fields = " ".join(["id title kind units city timezone"] * 1000)
    query = f"{{ listings {{ edges {{ node {{ {fields} }} }} }} }}"
    answer = await refused_without_sql(app, client, query)
    assert "token" in answer.errors[0]["message"].lower()


async def test_wide_lists_under_the_alias_limit_are_refused(app, client, settings):
    # Each list alone is fine; side by side they cost too much.
    one = (
        "listings(first: 100) { edges { node {"
        " reservations(first: 50) { edges { node { id listing { id } } } } } } }"
    )
    aliases = " ".join(f"a{n}: {one}" for n in range(settings.max_aliases - 1))
    answer = await refused_without_sql(app, client, f"{{ {aliases} }}")
    assert answer.codes == [COSTLY]


async def test_huge_document_is_refused(app, client):
    padding = "# " + "x" * 200_000 + "\n"
    answer = await refused_without_sql(app, client, padding + "{ " + "me { id } " * 3000 + "}")
    assert "token" in answer.errors[0]["message"].lower()


async def test_batched_operations_are_refused(app, client):
    body = [{"query": "{ listings { totalCount } }"}] * 2
    with sql_statements(app) as statements:
        response = await client.http.post("/graphql", json=body)
    assert statements == []
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


def fragment_bomb(levels: int, leaf: str) -> str:
    """Each fragment spreads the next twice: 2^levels copies of `leaf` in 4 KB."""
    chain = " ".join(f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels))
    return f"{{ ...F0 }} {chain} fragment F{levels} on Query {{ {leaf} }}"


@pytest.mark.parametrize(
    ("leaf", "refusal"),
    [("a: __typename", "aliases"), ("listings(first: 1) { totalCount }", "costs")],
    ids=["aliases", "cost"],
)
async def test_fragment_bombs_are_refused_at_once(app, client, leaf, refusal):
    # Strawberry's depth and alias limiters walk 2^60 spreads here: this would never end.
    answer = await refused_without_sql(app, client, fragment_bomb(60, leaf))
    assert refusal in answer.errors[0]["message"]


async def test_oversized_bodies_are_refused_unread(app, client, settings):
    big = b'{"query": "{ me { id } }", "variables": {"pad": "' + b"x" * settings.max_body_bytes
    big += b'"}}'
    response = await client.http.post(
        "/graphql", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413

    async def streamed():  # no Content-Length: counted as it arrives
        yield big[: len(big) // 2]
        yield big[len(big) // 2 :]

    with sql_statements(app) as statements:
        response = await client.http.post(
            "/graphql", content=streamed(), headers={"Content-Type": "application/json"}
        )
    assert statements == []
    assert response.status_code == 413
