"""Cross-tenant reads and writes, as a matrix: host A's listing with guest A's reservation,
and every private read (reservation, node, nodes, the reservations list, a listing's private
fields) by anonymous, guest A, guest B, host A, host B and an admin; and every mutation on
A's things (cancel, change dates, pay, confirm, check in, terms, listing, archive, blackouts,
webhooks, vouchers, calendar import) by the other guest, the other host and anonymous:
refused, and not one row of the database changed."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from bookwell.core.ids import global_id
from bookwell.models import Role
from tests.factories import book_over_graphql, make_listing, make_token, make_user

START = date.today() + timedelta(days=20)
PRINCIPALS = ["anon", "guest_a", "guest_b", "host_a", "host_b", "admin"]
# Who may read A's reservation (the listing's list of reservations included: a guest sees
# their own there), and the listing's private calendar link.
ENTITLED = {"guest_a", "host_a", "admin"}
HOST_SIDE = {"host_a", "admin"}

READS = {
    "reservation": ("query($r: ID!) { reservation(id: $r) { id guestName } }", "reservation"),
    "node": ("query($r: ID!) { node(id: $r) { id ... on Reservation { guestName } } }", "node"),
    "nodes": (
        "query($r: ID!) { nodes(ids: [$r]) { id ... on Reservation { guestName } } }",
        "nodes",
    ),
    "list": ("{ reservations(first: 100) { edges { node { id guestName } } } }", "reservations"),
    "listing-calendar-url": ("query($l: ID!) { listing(id: $l) { calendarUrl } }", "listing"),
    "listing-reservations": (
        "query($l: ID!) { listing(id: $l) { reservations(first: 10) { edges { node { id } } } } }",
        "listing",
    ),
}

ICS = "BEGIN:VCALENDAR\\r\\nEND:VCALENDAR\\r\\n"
# name: (field, arguments, selection besides errors); $r A's reservation, $l A's listing.
MUTATIONS = {
    "cancel": ("cancelReservation", "id: $r", "reservation { id }"),
    "change-dates": (
        "changeReservationDates",
        "input: {id: $r, startDate: $d, nights: 5}",
        "reservation { id }",
    ),
    "pay": ("payReservation", 'id: $r, idempotencyKey: "k-1"', "reservation { id }"),
    "confirm": ("confirmReservation", "id: $r", "reservation { id }"),
    "check-in": ("checkIn", "id: $r", "reservation { id }"),
    "terms": (
        "updateListingTerms",
        'listingId: $l, input: {nightlyPrice: "1.00"}',
        "listing { id }",
    ),
    "listing": ("updateListing", 'id: $l, input: {title: "Mine now"}', "listing { id }"),
    "archive": ("archiveListing", "id: $l", "listing { id }"),
    "blackout": ("createBlackout", "input: {listingId: $l, startDate: $d, endDate: $d}", ""),
    "webhook": (
        "createWebhookEndpoint",
        'input: {url: "http://127.0.0.1:9/h", events: [RESERVATION_CREATED], listingIds: [$l]}',
        "endpoint { id }",
    ),
    "voucher": (
        "createVoucher",
        'input: {code: "STEAL", kind: PERCENT, value: "100", listingIds: [$l]}',
        "",
    ),
    "import": ("importCalendar", f'input: {{listingId: $l, icsText: "{ICS}"}}', ""),
}
TYPES = {"r": "ID!", "l": "ID!", "d": "Date!"}


def _document(mutation: str) -> str:
    field, arguments, selection = MUTATIONS[mutation]
    declared = ", ".join(
        f"${name}: {kind}" for name, kind in TYPES.items() if f"${name}" in arguments
    )
    return f"mutation({declared}) {{ {field}({arguments}) {{ {selection} errors {{ code }} }} }}"


TABLES = [
    "reservations",
    "reservation_units",
    "listings",
    "listing_nights",
    "payments",
    "vouchers",
    "webhook_endpoints",
    "outbox",
    "listing_price_rules",
]


@pytest.fixture
async def world(client, db, host, guest):
    people = {
        "guest_a": guest,
        "host_a": host,
        "guest_b": await make_user(db, Role.GUEST),
        "host_b": await make_user(db, Role.HOST),
        "admin": await make_user(db, Role.ADMIN),
    }
    tokens = {name: await make_token(db, who) for name, who in people.items()}
    tokens["anon"] = None
    listing_id = await make_listing(db, host, units=3)
    made = await book_over_graphql(client, tokens["guest_a"], listing_id, START, 2)
    return {"tokens": tokens, "r": made["id"], "l": global_id("Listing", listing_id)}


async def _fingerprint(db) -> dict[str, str]:
    async with db.read() as session:
        return {
            table: (
                await session.execute(
                    text(
                        "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                        f" FROM {table} t"
                    )
                )
            ).scalar_one()
            for table in TABLES
        }


def _saw(read: str, data: dict | None, r: str) -> bool:
    if data is None:
        return False
    value = data[READS[read][1]]
    match read:
        case "reservation" | "node":
            return value is not None
        case "nodes":
            return value != [None]
        case "list":
            return r in [edge["node"]["id"] for edge in value["edges"]]
        case "listing-calendar-url":
            return value is not None and value["calendarUrl"] is not None
        case "listing-reservations":
            return value is not None and bool(value["reservations"]["edges"])
    raise AssertionError(read)


@pytest.mark.parametrize("who", PRINCIPALS)
@pytest.mark.parametrize("read", READS)
async def test_private_reads(client, world, read, who):
    query = READS[read][0]
    variables = {k: v for k, v in {"r": world["r"], "l": world["l"]}.items() if f"${k}" in query}
    answer = await client(query, variables, token=world["tokens"][who])
    assert answer.status < 500, answer.body
    entitled = HOST_SIDE if read == "listing-calendar-url" else ENTITLED
    assert _saw(read, answer.body.get("data"), world["r"]) is (who in entitled), answer.body


@pytest.mark.parametrize("who", ["guest_b", "host_b", "anon"])
@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_mutations_of_anothers_things(client, db, world, mutation, who):
    query = _document(mutation)
    values = {"r": world["r"], "l": world["l"], "d": str(START + timedelta(days=40))}
    variables = {k: v for k, v in values.items() if f"${k}" in query}
    before = await _fingerprint(db)
    answer = await client(query, variables, token=world["tokens"][who])
    assert answer.status < 500, answer.body
    data = answer.body.get("data")
    if who == "anon" and data is None:
        assert answer.codes == ["UNAUTHENTICATED"], answer.body
    else:
        (payload,) = data.values()
        codes = [e["code"] for e in payload["errors"]]
        assert codes and set(codes) <= {"NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED"}, answer.body
    assert await _fingerprint(db) == before


@pytest.mark.parametrize(("mutation", "who"), [("listing", "host_a"), ("cancel", "guest_a")])
async def test_the_owners_own_write_goes_through_and_is_seen(client, db, world, mutation, who):
    """The control: the same documents by their owners succeed, and the fingerprint sees it."""
    before = await _fingerprint(db)
    answer = await client(
        _document(mutation), {"r": world["r"], "l": world["l"]}, token=world["tokens"][who]
    )
    ((payload),) = answer.data.values()
    assert payload["errors"] == [], answer.body
    assert await _fingerprint(db) != before
