"""The peer's requests, made from Bookwell's own bodies (the same listings, pages and dates in
the same order), and the checks that both answer the same rows and columns.

The documents differ only where PostGraphile's schema names things otherwise: `allListings`
ordered by primary key (Bookwell's `listings` order), `userByOwnerId`, and
`reservationsByListingId` newest first (Bookwell's order: ids descending). Ids on both sides
are global ids made from the row's UUID (Bookwell: base64 of "Type:uuid", PostGraphile: of
'["Type","uuid"]')."""

import asyncio
import base64
import json
import uuid

from bench.client import REQUEST_TIMEOUT, HttpConnection, classify_graphql
from bench.scenarios import Workload, graphql_body
from bench.servers import Server

NESTED = (
    "query Nested($after: Cursor) { allListings(first: 100, after: $after,"
    " orderBy: PRIMARY_KEY_ASC) { edges { node { id title userByOwnerId { id name }"
    " reservationsByListingId(first: 5, orderBy: PRIMARY_KEY_DESC) { edges { node {"
    " id startDate endDate status } } } } } } }"
)
AVAILABILITY = (
    "query Availability($listingId: UUID!, $start: Date!, $end: Date!) {"
    " benchPeerAvailability(listingId: $listingId, startDate: $start, endDate: $end) {"
    " available freeUnits } }"
)
FIRST_CURSOR = "{ allListings(first: 1, orderBy: PRIMARY_KEY_ASC) { edges { cursor } } }"


def peer_cursor(prefix: str, listing_id: uuid.UUID) -> str:
    """PostGraphile 5's cursor for "after this listing" in primary-key order: base64 of JSON
    [a digest of the order, the key]; the digest is read from a real cursor (cursor_prefix)."""
    return base64.b64encode(json.dumps([prefix, str(listing_id)]).encode()).decode()


def bookwell_cursor_id(cursor: str) -> uuid.UUID:
    """The listing id in bench.scenarios' cursor (base64url of the UUID's bytes)."""
    return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def decode_id(value: str) -> str:
    """The UUID in either side's global id."""
    raw = base64.b64decode(value + "=" * (-len(value) % 4)).decode()
    if raw.startswith("["):
        return json.loads(raw)[1]
    return raw.split(":", 1)[1]


async def post(server: Server, body: bytes, headers: dict | None = None) -> dict:
    conn = HttpConnection(server.port, headers)
    try:
        status, payload = await asyncio.wait_for(conn.post("/graphql", body), REQUEST_TIMEOUT)
    finally:
        await conn.close()
    kind, example = classify_graphql(status, payload)
    if kind != "ok":
        raise SystemExit(f"{server.name}: {example}")
    return json.loads(payload)


async def cursor_prefix(peer: Server) -> str:
    answer = await post(peer, graphql_body(FIRST_CURSOR, {}))
    cursor = answer["data"]["allListings"]["edges"][0]["cursor"]
    return json.loads(base64.b64decode(cursor))[0]


def peer_workloads(loads: dict[str, Workload], prefix: str) -> dict[str, Workload]:
    """Bookwell's nested and availability bodies, asked of PostGraphile."""
    pages, availability = [], []
    for body in loads["nested"].bodies:
        after = bookwell_cursor_id(json.loads(body)["variables"]["after"])
        pages.append(graphql_body(NESTED, {"after": peer_cursor(prefix, after)}))
    for body in loads["availability"].bodies:
        availability.append(graphql_body(AVAILABILITY, json.loads(body)["variables"]))
    return {
        "nested": Workload("nested read (100 listings)", "/graphql", pages, classify_graphql),
        "availability": Workload(
            "availability, one listing", "/graphql", availability, classify_graphql
        ),
    }


def bookwell_rows(answer: dict) -> list:
    rows = []
    for edge in answer["data"]["listings"]["edges"]:
        node = edge["node"]
        reservations = [
            (decode_id(r["id"]), r["startDate"], r["endDate"], r["status"])
            for r in (e["node"] for e in node["reservations"]["edges"])
        ]
        owner = (decode_id(node["owner"]["id"]), node["owner"]["name"])
        rows.append((decode_id(node["id"]), node["title"], owner, reservations))
    return rows


def peer_rows(answer: dict) -> list:
    rows = []
    for edge in answer["data"]["allListings"]["edges"]:
        node = edge["node"]
        edges = node["reservationsByListingId"]["edges"]
        reservations = [
            (decode_id(r["id"]), r["startDate"], r["endDate"], r["status"])
            for r in (e["node"] for e in edges)
        ]
        owner = (decode_id(node["userByOwnerId"]["id"]), node["userByOwnerId"]["name"])
        rows.append((decode_id(node["id"]), node["title"], owner, reservations))
    return rows


async def check_equivalent(
    bookwell: Server, peer: Server, loads: dict, peers: dict, auth: dict, count: int = 5
) -> None:
    """The same rows and columns from both, for `count` nested pages and 20 availabilities."""
    nested = zip(loads["nested"].bodies[:count], peers["nested"].bodies[:count], strict=True)
    for mine, theirs in nested:
        expected = bookwell_rows(await post(bookwell, mine, auth))
        if peer_rows(await post(peer, theirs)) != expected:
            raise SystemExit(f"nested read: PostGraphile answers other rows for {theirs!r}")
    availability = zip(loads["availability"].bodies, peers["availability"].bodies, strict=True)
    for mine, theirs in list(availability)[:20]:
        expected = (await post(bookwell, mine))["data"]["availability"]
        found = (await post(peer, theirs))["data"]["benchPeerAvailability"]
        if found != expected:
            raise SystemExit(f"availability: {found} from PostGraphile, {expected} for {mine!r}")
    print(
        f"check: {bookwell.name} and PostGraphile agree on {count} nested reads, 20 availabilities"
    )
