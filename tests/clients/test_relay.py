"""relay-compiler over a Relay SPA's documents (tests/clients/relay-app): pagination with
@connection both ways, @refetchable fragments on Query and on Listing (Node, node(id:)), a
mutation appending to a connection. Against the committed schema.graphql, and against what
the live server's introspection says (tests/clients/relay.mjs)."""

import pytest

from tests.clients.conftest import LiveServer, Node

pytestmark = pytest.mark.clients


def test_the_spa_compiles_against_the_committed_schema(node: Node):
    output = node.run("relay.mjs")
    assert "every document compiles" in output, output


def test_the_spa_compiles_against_the_served_schema(node: Node, live_server: LiveServer):
    output = node.run("relay.mjs", "--url", live_server.graphql_url)
    assert "every document compiles" in output, output
