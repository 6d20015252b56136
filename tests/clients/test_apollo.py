"""Apollo Client 4 against the live server (tests/clients/apollo.mjs): a query, a booking
mutation with variables and a guest's token, and a subscription over graphql-ws
(GraphQLWsLink) that hears the booking."""

import pytest

from tests.clients.conftest import LiveServer, Node

pytestmark = pytest.mark.clients


def test_apollo_queries_books_and_hears_the_booking(
    node: Node, live_server: LiveServer, live_guest_token: str, stay_start: str
):
    output = node.run(
        "apollo.mjs",
        *("--url", live_server.graphql_url, "--token", live_guest_token),
        *("--start", stay_start, "--nights", "2"),
    )
    assert "query, mutation and subscription ok" in output, output
