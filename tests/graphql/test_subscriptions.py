"""availabilityChanged over graphql-transport-ws, against real uvicorn servers.

Each `AppServer` is a whole app instance (its own engine and its own LISTEN connection)
served by uvicorn on its own thread and event loop, so two of them are two API processes
as far as PostgreSQL can tell.
"""

import asyncio
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from sqlalchemy import make_url, text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.core.ids import global_id
from bookwell.core.pg_listen import Listener
from bookwell.graphql.listings.subscriptions import CHANNEL, ranges_to_report
from bookwell.services.listings import listings
from bookwell.services.listings.stays import Stay
from tests.factories import MANY_HOLDS, make_listing, make_token, make_user
from tests.support.database import plain_url
from tests.support.lifespan import StateKept

# Generous: a deadline for something that must happen, never a measurement.
DEADLINE = 30.0

SUBSCRIBE = """
subscription($listingId: ID!, $startDate: Date, $endDate: Date, $quantity: Int! = 1) {
  availabilityChanged(listingId: $listingId, startDate: $startDate, endDate: $endDate,
                      quantity: $quantity) {
    listingId startDate endDate quantity freeUnits available
  }
}"""

BOOK = """
mutation($input: CreateReservationInput!) {
  createReservation(input: $input) {
    reservation { id databaseId status }
    errors { code }
  }
}"""


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


class AppServer:
    """One app instance on a free port, on its own thread and event loop."""

    def __init__(self, settings: Settings):
        self.app = StateKept(create_app(settings))  # its lifespan state: the listener
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        self.http_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/graphql"
        config = uvicorn.Config(self.app, log_level="warning", timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    async def __aenter__(self) -> "AppServer":
        self._thread.start()
        await until(lambda: self._server.started or not self._thread.is_alive())
        assert self._server.started, "the server did not start"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        await asyncio.to_thread(self._thread.join, DEADLINE)
        self._socket.close()

    def subscribers(self) -> int:
        """Established availabilityChanged subscriptions on this instance."""
        return self.app.listener.subscriber_count(CHANNEL)

    async def book(self, token: str, listing_id: uuid.UUID, start: str, nights: int) -> dict:
        variables = {"input": {"listingId": str(listing_id), "startDate": start, "nights": nights}}
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            response = await http.post(
                f"{self.http_url}/graphql",
                json={"query": BOOK, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
        return response.json()["data"]["createReservation"]


async def until(condition, deadline: float = DEADLINE) -> None:
    ends = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < ends, "condition not met before the deadline"
        await asyncio.sleep(0.02)


class Subscriber:
    """A graphql-transport-ws client connection."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws

    async def receive(self) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), DEADLINE))
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def subscribe(
        self, listing_id: uuid.UUID | str, id: str = "1", query: str = SUBSCRIBE, **window: Any
    ) -> None:
        variables = {"listingId": str(listing_id), **window}
        payload = {"query": query, "variables": variables}
        await self.ws.send(json.dumps({"id": id, "type": "subscribe", "payload": payload}))

    async def next_availability(self) -> dict[str, Any]:
        message = await self.receive()
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]["availabilityChanged"]


@asynccontextmanager
async def subscriber(
    server: AppServer, init_payload: dict[str, Any] | None = None
) -> AsyncIterator[Subscriber]:
    async with connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        client = Subscriber(ws)
        await ws.send(json.dumps({"type": "connection_init", "payload": init_payload or {}}))
        assert (await client.receive())["type"] == "connection_ack"
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[AppServer]:
    async with AppServer(settings) as running:
        yield running


async def test_a_subscription_sees_a_booking_made_through_another_instance(
    settings, db, host, guest_token
):
    listing_id = await make_listing(db, host, units=3)
    async with AppServer(settings) as first, AppServer(settings) as second:
        async with subscriber(first, bearer(guest_token)) as client:
            await client.subscribe(listing_id)
            await until(lambda: first.subscribers() == 1)

            booked = await second.book(guest_token, listing_id, day(10), nights=2)
            assert booked["errors"] == []

            seen = await client.next_availability()
            assert seen == {
                "listingId": global_id("Listing", listing_id),
                "startDate": day(10),
                "endDate": day(12),
                "quantity": 1,
                "freeUnits": 2,
                "available": True,
            }
        await until(lambda: first.subscribers() == 0)


async def test_a_bad_token_closes_the_connection_with_4403(server):
    for payload in (bearer("not-a-token"), {"authorization": "Basic abc"}, {"Authorization": 7}):
        async with connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), DEADLINE)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_token_is_accepted_in_either_spelling(server, db, host, guest_token):
    listing_id = await make_listing(db, host)
    for payload in (bearer(guest_token), {"authorization": f"bearer {guest_token}"}):
        async with subscriber(server, payload) as client:
            await client.subscribe(listing_id)
            await until(lambda: server.subscribers() == 1)
        await until(lambda: server.subscribers() == 0)


async def _first_error(server: AppServer, listing_id: Any, **window: Any) -> dict[str, Any]:
    async with subscriber(server) as client:
        await client.subscribe(listing_id, **window)
        message = await client.receive()
    assert message["type"] == "error", message
    return message["payload"][0]


async def test_bad_requests_are_errors_with_codes(server, db, host):
    listing_id = await make_listing(db, host)
    unknown = await _first_error(server, uuid.uuid4())
    assert unknown["extensions"] == {"code": "NOT_FOUND", "field": ["listingId"]}
    assert (await _first_error(server, "not-an-id"))["extensions"]["code"] == "NOT_FOUND"
    half = await _first_error(server, listing_id, startDate=day(3))
    assert half["extensions"] == {"code": "INVALID_DATES", "field": ["endDate"]}
    backwards = await _first_error(server, listing_id, startDate=day(5), endDate=day(3))
    assert backwards["extensions"]["code"] == "INVALID_DATES"
    none = await _first_error(server, listing_id, quantity=0)
    assert none["extensions"]["code"] == "INVALID_INPUT"
    assert server.subscribers() == 0


async def test_queries_and_mutations_go_over_http(server):
    async with subscriber(server) as client:
        for query in (
            "{ me { id } }",
            'mutation { login(input: {email: "a@b.c", password: "x"}) { accessToken } }',
        ):
            payload = {"query": query}
            await client.ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": payload}))
            message = await client.receive()
            assert message["type"] == "error" and message["id"] == "q", message
            assert "over HTTP" in message["payload"][0]["message"]


async def test_a_private_api_needs_a_token_to_subscribe(settings, db, host, guest_token):
    listing_id = await make_listing(db, host)
    private = settings.model_copy(update={"private_api": True})
    async with AppServer(private) as server:
        refused = await _first_error(server, listing_id)
        assert refused["extensions"]["code"] == "UNAUTHENTICATED"
        async with subscriber(server, bearer(guest_token)) as client:
            await client.subscribe(listing_id)
            await until(lambda: server.subscribers() == 1)


async def test_the_upgrade_requests_bearer_header_signs_the_websocket_in(
    settings, db, host, guest_token
):
    """The websocket upgrade goes through the same authentication middleware as HTTP: its
    Authorization header signs the connection in when connection_init carries no token."""
    listing_id = await make_listing(db, host)
    private = settings.model_copy(update={"private_api": True})
    async with (
        AppServer(private) as server,
        connect(
            server.ws_url,
            subprotocols=["graphql-transport-ws"],
            additional_headers=bearer(guest_token),
        ) as ws,
    ):
        client = Subscriber(ws)
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await client.receive())["type"] == "connection_ack"
        await client.subscribe(listing_id)
        await until(lambda: server.subscribers() == 1)


async def test_a_bad_bearer_header_refuses_the_upgrade(server):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            server.ws_url,
            subprotocols=["graphql-transport-ws"],
            additional_headers=bearer("not-a-token"),
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_a_websocket_has_one_request_id_its_errors_and_logs_carry(
    server, db, host, monkeypatch, caplog
):
    """Made once by the request context middleware (a client's own X-Request-ID kept), read
    by the websocket's context: a masked error's requestId and its log line carry it."""
    listing_id = await make_listing(db, host)

    async def broken(**_):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(listings, "listings_by_ids", broken)
    headers = {"X-Request-ID": "ws-support-42"}
    with caplog.at_level(logging.ERROR):
        async with connect(
            server.ws_url, subprotocols=["graphql-transport-ws"], additional_headers=headers
        ) as ws:
            client = Subscriber(ws)
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert (await client.receive())["type"] == "connection_ack"
            await client.subscribe(listing_id)
            message = await client.receive()
    assert message["type"] in ("error", "next"), message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["message"] == "Unexpected error."
    assert errors[0]["extensions"] == {"code": "INTERNAL_ERROR", "requestId": "ws-support-42"}
    assert any("ws-support-42" in record.getMessage() for record in caplog.records)


async def test_a_rolled_back_change_sends_nothing(server, db, host, guest_token):
    listing_id = await make_listing(db, host, units=1)
    other_guest = await make_token(db, await make_user(db))
    first = await server.book(guest_token, listing_id, day(10), nights=2)
    assert first["errors"] == []
    async with subscriber(server) as client:
        await client.subscribe(listing_id)
        await until(lambda: server.subscribers() == 1)

        refused = await server.book(other_guest, listing_id, day(10), nights=2)
        assert refused["errors"] == [{"code": "UNAVAILABLE"}]
        # A change whose NOTIFY is surely queued (the update fires the trigger), rolled back.
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                cancelled = await session.execute(
                    text("UPDATE reservations SET status = 'CANCELLED' WHERE id = :id"),
                    {"id": uuid.UUID(first["reservation"]["databaseId"])},
                )
                assert cancelled.rowcount == 1
                raise RuntimeError("roll back")
        assert (await server.book(other_guest, listing_id, day(14), nights=2))["errors"] == []

        seen = await client.next_availability()
        assert (seen["startDate"], seen["endDate"], seen["freeUnits"]) == (day(14), day(16), 0)


async def test_a_window_hears_only_changes_that_touch_it(server, db, host, guest_token):
    listing_id = await make_listing(db, host, units=2, **MANY_HOLDS)
    async with subscriber(server) as client:
        await client.subscribe(listing_id, startDate=day(20), endDate=day(23))
        await until(lambda: server.subscribers() == 1)

        # Ends the night the window starts, starts the night it ends: outside ([start, end)).
        assert (await server.book(guest_token, listing_id, day(17), nights=3))["errors"] == []
        assert (await server.book(guest_token, listing_id, day(23), nights=2))["errors"] == []
        assert (await server.book(guest_token, listing_id, day(22), nights=4))["errors"] == []

        seen = await client.next_availability()
        assert seen == {
            "listingId": global_id("Listing", listing_id),
            "startDate": day(20),
            "endDate": day(23),
            "quantity": 1,
            "freeUnits": 1,
            "available": True,
        }


async def test_each_answer_reads_the_nights_anew(server, db, host, guest_token):
    """A websocket's dataloaders live as long as it: Availability.nights and bookable must
    not answer from the first event's cache."""
    listing_id = await make_listing(db, host, units=2, **MANY_HOLDS)
    nights = SUBSCRIBE.replace("available\n", "available bookable nights { freeUnits }\n")
    assert nights != SUBSCRIBE
    async with subscriber(server) as client:
        await client.subscribe(listing_id, query=nights, startDate=day(20), endDate=day(23))
        await until(lambda: server.subscribers() == 1)
        assert (await server.book(guest_token, listing_id, day(20), nights=1))["errors"] == []
        first = await client.next_availability()
        assert [n["freeUnits"] for n in first["nights"]] == [1, 2, 2]
        assert (await server.book(guest_token, listing_id, day(21), nights=2))["errors"] == []
        second = await client.next_availability()
        assert [n["freeUnits"] for n in second["nights"]] == [1, 1, 1]
        assert (second["freeUnits"], second["bookable"]) == (1, True)


async def test_other_listings_changes_are_not_sent(server, db, host, guest_token):
    watched = await make_listing(db, host, units=2)
    other = await make_listing(db, host, units=2)
    async with subscriber(server) as client:
        await client.subscribe(watched, quantity=2)
        await until(lambda: server.subscribers() == 1)
        assert (await server.book(guest_token, other, day(5), nights=1))["errors"] == []
        assert (await server.book(guest_token, watched, day(6), nights=1))["errors"] == []

        seen = await client.next_availability()
        assert (seen["listingId"], seen["startDate"]) == (global_id("Listing", watched), day(6))
        assert (seen["freeUnits"], seen["available"]) == (1, False)


async def _listener_pids(database_url: str) -> list[int]:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity "
            "WHERE application_name = 'bookwell-listen' AND datname = $1",
            make_url(database_url).database,
        )
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


async def test_subscriptions_survive_a_lost_listen_connection(
    server, database_url, db, host, guest_token
):
    listing_id = await make_listing(db, host, units=2)
    async with subscriber(server) as client:
        await client.subscribe(listing_id, startDate=day(8), endDate=day(10))
        await until(lambda: server.subscribers() == 1)
        [old_pid] = await _listener_pids(database_url)

        connection = await asyncpg.connect(plain_url(database_url))
        try:
            assert await connection.fetchval("SELECT pg_terminate_backend($1)", old_pid)
        finally:
            await connection.close()

        # Changes may have been missed while it was away: a window is answered again.
        resync = await client.next_availability()
        assert (resync["freeUnits"], resync["startDate"]) == (2, day(8))
        new_pids = await _listener_pids(database_url)
        assert len(new_pids) == 1 and new_pids != [old_pid]

        assert (await server.book(guest_token, listing_id, day(9), nights=3))["errors"] == []
        assert (await client.next_availability())["freeUnits"] == 1


def test_a_burst_is_answered_once_per_range():
    listing = uuid.uuid4()

    def change(start: int, end: int, target: uuid.UUID = listing) -> str:
        return json.dumps(
            {"listing_id": str(target), "start_date": day(start), "end_date": day(end)}
        )

    def stay(start: int, end: int) -> Stay:
        return Stay(date.fromisoformat(day(start)), date.fromisoformat(day(end)))

    burst = [change(1, 3), change(5, 6), change(1, 3), change(2, 4, uuid.uuid4())]
    assert ranges_to_report(burst, listing, None) == [stay(1, 3), stay(5, 6)]
    assert ranges_to_report([*burst, None], listing, None) == [stay(1, 3), stay(5, 6)]
    assert ranges_to_report(burst, listing, stay(2, 10)) == [stay(2, 10)]
    assert ranges_to_report(burst, listing, stay(3, 5)) == []
    assert ranges_to_report([None], listing, stay(3, 5)) == [stay(3, 5)]
    assert ranges_to_report(["{not json"], listing, None) == []


async def test_a_listener_queue_that_falls_behind_holds_one_resync(database_url):
    listener = Listener(database_url, queue_size=3)
    await listener.start()
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        async with (
            listener.subscribe("bookwell_test") as everything,
            listener.subscribe("bookwell_test", accept=lambda p: p.startswith("b")) as some,
        ):
            assert listener.subscriber_count("bookwell_test") == 2
            for payload in ("a1", "b1", "a2", "a3", "b2"):
                await connection.execute(f"NOTIFY bookwell_test, '{payload}'")
            # Payloads arrive in order, each to every subscriber at once: b2 came last.
            await until(lambda: some.qsize() == 2)
            assert [some.get_nowait(), some.get_nowait()] == ["b1", "b2"]
            assert [everything.get_nowait(), everything.get_nowait()] == [None, "b2"]
        assert listener.subscriber_count("bookwell_test") == 0
    finally:
        await connection.close()
        await listener.stop()
    assert not listener.connected
