"""The bare graphql-ws client against the live server (tests/clients/graphql_ws.mjs): connect
with the token in connection params, subscribe, hear a booking made over HTTP, complete and
close normally."""

import pytest

from tests.clients.conftest import LiveServer, Node, until

pytestmark = pytest.mark.clients


def test_graphql_ws_hears_a_booking_and_completes(
    node: Node, live_server: LiveServer, live_guest_token: str, stay_start: str
):
    output = node.run(
        "graphql_ws.mjs",
        *("--url", live_server.graphql_url, "--token", live_guest_token),
        *("--start", stay_start, "--nights", "3"),
    )
    assert "heard the booking, completed" in output, output
    until(lambda: live_server.subscribers() == 0)  # the server let go of it too
