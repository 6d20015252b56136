"""Settings that switch parts of the API off."""

import httpx

from bookwell.app import create_app
from tests.support.graphql_client import GraphQLClient

INTROSPECT = "{ __schema { queryType { name } } }"


async def _client_for(settings, **changes):
    app = create_app(settings.model_copy(update=changes))
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_introspection_and_graphiql_are_on_by_default(client):
    answer = await client(INTROSPECT)
    assert answer.data == {"__schema": {"queryType": {"name": "Query"}}}
    page = await client.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_introspection_and_graphiql_can_be_switched_off(settings):
    app, http = await _client_for(settings, introspection=False, graphiql=False)
    async with app.router.lifespan_context(app), http:
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
