"""The Python gql client against the live server: queries and a booking over HTTP
(HTTPXAsyncTransport, documents validated against the schema it introspects), and
availabilityChanged over the websocket with the graphql-transport-ws subprotocol
(WebsocketsTransport), the guest's token in connection_init, hearing the booking."""

import asyncio
import contextlib
import time
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from tests.clients.conftest import CITY, LiveServer

pytestmark = pytest.mark.clients

# A deadline for something that must happen, never a measurement.
DEADLINE = 30.0

FIND_LISTING = gql("""
query FindListing($city: String!, $start: Date!, $end: Date!) {
  listings(filter: {city: $city}, first: 5) {
    edges { node { id title availability(startDate: $start, endDate: $end) { freeUnits } } }
  }
}""")

BOOK = gql("""
mutation Book($input: CreateReservationInput!) {
  createReservation(input: $input) {
    reservation { id status startDate endDate }
    errors { code field message }
  }
}""")

AVAILABILITY_CHANGED = gql("""
subscription AvailabilityChanged($listingId: ID!, $start: Date!, $end: Date!) {
  availabilityChanged(listingId: $listingId, startDate: $start, endDate: $end) {
    startDate endDate freeUnits available
  }
}""")


def request(document: GraphQLRequest, **variables: Any) -> GraphQLRequest:
    return GraphQLRequest(document, variable_values=variables)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def http_client(server: LiveServer, token: str) -> Client:
    transport = HTTPXAsyncTransport(
        url=server.graphql_url, headers={"Authorization": bearer(token)}, timeout=DEADLINE
    )
    # The schema comes from the server's introspection, and gql checks documents against it.
    return Client(transport=transport, fetch_schema_from_transport=True)


def websocket_client(server: LiveServer, token: str) -> Client:
    transport = WebsocketsTransport(
        url=server.ws_url,
        init_payload={"Authorization": bearer(token)},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
        connect_timeout=DEADLINE,
        ack_timeout=DEADLINE,
        close_timeout=DEADLINE,
    )
    return Client(transport=transport)


async def until(condition, seconds: float = DEADLINE) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, f"condition not met within {seconds} s"
        await asyncio.sleep(0.02)


def window(stay_start: str, nights: int) -> tuple[str, str]:
    end = date.fromisoformat(stay_start) + timedelta(days=nights)
    return stay_start, end.isoformat()


async def test_gql_queries_over_http(live_server: LiveServer, live_guest_token: str):
    start, end = window((date.today() + timedelta(days=400)).isoformat(), 2)
    async with http_client(live_server, live_guest_token) as session:
        found = await session.execute(request(FIND_LISTING, city=CITY, start=start, end=end))
        me = await session.execute(gql("{ me { name role } }"))
    [edge] = found["listings"]["edges"]
    assert edge["node"]["title"] == "Canal Saint-Martin Flat"
    assert edge["node"]["availability"] == {"freeUnits": 40}
    assert me == {"me": {"name": "Gus Guest", "role": "GUEST"}}


async def test_gql_hears_a_booking_over_graphql_transport_ws(
    live_server: LiveServer, live_guest_token: str, stay_start: str
):
    start, end = window(stay_start, 2)
    async with http_client(live_server, live_guest_token) as http:
        found = await http.execute(request(FIND_LISTING, city=CITY, start=start, end=end))
        [edge] = found["listings"]["edges"]
        listing_id, before = edge["node"]["id"], edge["node"]["availability"]["freeUnits"]

        heard: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        async with websocket_client(live_server, live_guest_token) as ws:

            async def listen() -> None:
                subscription = request(
                    AVAILABILITY_CHANGED, listingId=listing_id, start=start, end=end
                )
                async for result in ws.subscribe(subscription):
                    await heard.put(result["availabilityChanged"])

            listening = asyncio.create_task(listen())
            try:
                # The server has the subscription in place: the booking cannot be missed.
                await until(lambda: live_server.subscribers() == 1 or listening.done())
                if listening.done():
                    listening.result()  # raises what ended it
                    pytest.fail("the subscription ended before any booking")

                booked = await http.execute(
                    request(
                        BOOK,
                        input={
                            "listingId": listing_id,
                            "startDate": start,
                            "endDate": end,
                            "idempotencyKey": f"gql-{uuid.uuid4()}",
                        },
                    )
                )
                payload = booked["createReservation"]
                assert payload["errors"] == [], payload
                assert payload["reservation"]["status"] == "PENDING"

                seen = await asyncio.wait_for(heard.get(), DEADLINE)
            finally:
                listening.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listening
    assert seen == {"startDate": start, "endDate": end, "freeUnits": before - 1, "available": True}
    await until(lambda: live_server.subscribers() == 0)
