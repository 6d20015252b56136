"""graphql-http's GraphQL-over-HTTP server audits against the live /graphql: every MUST and
SHOULD audit must pass (tests/clients/audit.mjs)."""

import pytest

from tests.clients.conftest import LiveServer, Node

pytestmark = pytest.mark.clients


def test_every_must_and_should_audit_passes(node: Node, live_server: LiveServer):
    output = node.run("audit.mjs", "--url", live_server.graphql_url)
    assert "every MUST and SHOULD audit is ok" in output, output
