"""A request leaves nothing for the cyclic garbage collector: what it built is freed by
reference counting when the answer is sent (Context.release). Objects left in reference
cycles wait for a collection that walks them all; under load those collections were a tenth
of the server's CPU and its longest pauses (bench/README.md)."""

import asyncio
import contextlib
import gc
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import orjson
import pytest

from bookwell.app import YOUNG_COLLECTION_THRESHOLD, create_app
from bookwell.models import Role
from bookwell.services.booking.reservations import NewReservation, create_reservation
from tests.factories import create_reservation_mutation, make_listing, make_token, make_user
from tests.support.lifespan import started

START = date.today() + timedelta(days=30)
BOOK = create_reservation_mutation("id")

QUERIES = {
    "search, edges as JSON": """
        query($start: Date!) { searchAvailability(startDate: $start, nights: 2) {
          edges { cursor node { id title nightlyPrice { amount currency } } }
          pageInfo { hasNextPage } } }""",
    "search, objects": """
        query($start: Date!) { searchAvailability(startDate: $start, nights: 2) {
          edges { node { id createdAt owner { name } } } } }""",
    "nested read": """
        query($start: Date!, $end: Date!) { listings(first: 20) { edges { node { id title
          owner { id name } availability(startDate: $start, endDate: $end) { freeUnits }
          reservations(first: 5) { edges { node { id startDate status guest { name } } } } } } }
            }""",
    "availability": """
        query($start: Date!, $end: Date!, $id: ID!) {
          availability(listingId: $id, startDate: $start, endDate: $end) {
            available freeUnits } }""",
    "reservations": """
        query { reservations(first: 10) { totalCount edges { node { id totalPrice { amount }
          listing { title } } } } }""",
}


async def _post(app, body: bytes, token: str) -> bytes:
    """One POST /graphql straight through the ASGI app (no HTTP client's own objects)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()
        return {}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    return b"".join(m.get("body", b"") for m in sent[1:])


@contextlib.contextmanager
def cyclic_garbage() -> Iterator[list[str]]:
    """The types of the objects the block left in reference cycles, filled in when it ends."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    left: list[str] = []
    try:
        yield left
        gc.collect()
        left.extend(type(o).__qualname__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.fixture
async def seeded(db):
    host = await make_user(db, Role.HOST)
    guest = await make_user(db, Role.GUEST)
    listing_ids = [await make_listing(db, host, title=f"L{n}", units=2) for n in range(3)]
    for listing_id in listing_ids:
        data = NewReservation(listing_id, START + timedelta(days=5), nights=2)
        async with db.transaction() as session:
            await create_reservation(session=session, guest=guest, data=data)
    return await make_token(db, host), listing_ids[0]


@pytest.mark.parametrize("name", QUERIES)
async def test_a_read_leaves_no_cyclic_garbage(app, seeded, name):
    token, listing_id = seeded
    end = START + timedelta(days=10)
    variables = {"start": START.isoformat(), "end": end.isoformat(), "id": str(listing_id)}
    body = orjson.dumps({"query": QUERIES[name], "variables": variables})
    answer = orjson.loads(await _post(app, body, token))  # warm: caches, statements
    assert "errors" not in answer and answer["data"], answer
    with cyclic_garbage() as left:
        for _ in range(3):
            await _post(app, body, token)
    assert Counter(left) == {}  # by type: what a failure says


async def test_a_booking_made_or_refused_leaves_no_cyclic_garbage(app, db):
    host, guest = await make_user(db, Role.HOST), await make_user(db, Role.GUEST)
    listing_id = await make_listing(db, host, units=1)
    token = await make_token(db, guest)

    def booking(days: int) -> bytes:
        start = START + timedelta(days=days)
        stay = {"listingId": str(listing_id), "startDate": start.isoformat(), "nights": 1}
        return orjson.dumps({"query": BOOK, "variables": {"input": stay}})

    def codes(answer: bytes) -> list[str]:
        payload = orjson.loads(answer)["data"]["createReservation"]
        return [error["code"] for error in payload["errors"]]

    assert codes(await _post(app, booking(0), token)) == []  # warm: caches, statements
    with cyclic_garbage() as left:
        refused = codes(await _post(app, booking(0), token))
        booked = codes(await _post(app, booking(1), token))
    assert (refused, booked) == (["UNAVAILABLE"], [])
    assert Counter(left) == {}


async def test_the_app_collects_the_young_generation_less_often(settings):
    """A request's transient objects alone no longer start a collection (app.py); the
    threshold is the process's, so the app gives the previous one back when it stops."""
    before = gc.get_threshold()
    async with started(create_app(settings)):
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before


async def test_only_an_http_request_keeps_cleanups_for_its_answer(db, settings):
    from starlette.requests import Request

    from bookwell.graphql.context import Context
    from bookwell.services.accounts.tokens import AccessTokens

    tokens = AccessTokens(key="k" * 40, issuer="i", audience="a", ttl=timedelta(minutes=5))
    ran: list[str] = []
    for kind, request in (("http", Request({"type": "http", "headers": []})), ("ws", None)):
        context = Context(
            db=db, settings=settings, access_tokens=tokens, principal=None, request_id="r",
            request=request,
        )  # fmt: skip
        context.after_answer(lambda kind=kind: ran.append(kind))
        context.release()
        context.release()  # once only
    # A websocket's context lives as long as its connection: nothing kept for later.
    assert ran == ["http"]
