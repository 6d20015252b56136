"""Settings that switch parts of the API off."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bookwell.app import create_app
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

INTROSPECT = "{ __schema { queryType { name } } }"


@asynccontextmanager
async def _client_for(settings, **changes) -> AsyncIterator[httpx.AsyncClient]:
    async with started(create_app(settings.model_copy(update=changes))) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_introspection_and_graphiql_are_on_by_default(client):
    answer = await client(INTROSPECT)
    assert answer.data == {"__schema": {"queryType": {"name": "Query"}}}
    page = await client.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_introspection_and_graphiql_can_be_switched_off(settings):
    async with _client_for(settings, introspection=False, graphiql=False) as http:
        answer = await GraphQLClient(http)(INTROSPECT)
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        still_works = await GraphQLClient(http)("{ listings { totalCount } }")
    assert answer.errors and "introspection" in answer.errors[0]["message"].lower()
    assert page.status_code == 404
    assert still_works.data == {"listings": {"totalCount": 0}}


async def test_page_size_is_at_most_a_hundred(client):
    answer = await client("{ listings(first: 101) { totalCount } }")
    assert answer.codes == ["INVALID_INPUT"]
    assert answer.errors[0]["extensions"]["field"] == ["first"]
