"""Bad input never gives a 5xx: it is a typed error (payload `errors`, or a GraphQL error with
a `code`) or a GraphQL validation error, never "Unexpected error."."""

import uuid
from datetime import date, timedelta

import httpx
import pytest

from bookwell.app import create_app
from bookwell.models import ListingKind
from bookwell.services.listings.stays import MAX_DAYS_AHEAD, today_in
from tests.factories import make_listing
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

SOON = date.today() + timedelta(days=30)


def soon(days: int = 0) -> str:
    return str(SOON + timedelta(days=days))


UNKNOWN = str(uuid.uuid4())
INVALID = "invalid request"  # a validation / variable error: no code, no data for the field

RESERVE = """mutation($input: CreateReservationInput!) {
  createReservation(input: $input) { reservation { id } errors { code field message } }
}"""
AVAILABILITY = """query($id: ID!, $start: Date!, $end: Date!, $quantity: Int! = 1) {
  availability(listingId: $id, startDate: $start, endDate: $end, quantity: $quantity) {
    freeUnits
  }
}"""
CREATE_LISTING = """mutation($input: CreateListingInput!) {
  createListing(input: $input) { listing { id } errors { code field message } }
}"""
LISTINGS = """query($first: Int! = 20, $after: String, $filter: ListingFilter) {
  listings(first: $first, after: $after, filter: $filter) { edges { node { id } } }
}"""


def assert_rejected(answer, root: str, expected) -> None:
    """`expected` is INVALID or a (code, field path) pair."""
    assert answer.status < 500, answer.body
    assert "Unexpected error." not in str(answer.body), answer.body
    data = answer.body.get("data") or {}
    if expected == INVALID:
        assert answer.status in (200, 400), answer.body
        assert answer.errors, answer.body
        assert data.get(root) is None, answer.body
        return
    assert answer.status == 200, answer.body
    payload = data.get(root)
    if isinstance(payload, dict) and "errors" in payload:
        assert answer.errors == []
        found = [(e["code"], e["field"]) for e in payload["errors"]]
    else:
        found = [(e["extensions"]["code"], e["extensions"].get("field")) for e in answer.errors]
    assert found == [expected], answer.body


@pytest.fixture
async def listing_id(db, host) -> str:
    return str(await make_listing(db, host, units=2))


RESERVE_CASES = {
    "date-month-13": ({"startDate": "2031-13-45"}, INVALID),
    "date-word": ({"startDate": "tomorrow"}, INVALID),
    "date-empty": ({"startDate": ""}, INVALID),
    "date-object": ({"startDate": {"year": 2031}}, INVALID),
    "nights-string": ({"nights": "3"}, INVALID),
    "nights-overflow": ({"nights": 2**31}, INVALID),
    "nights-0": ({"nights": 0}, ("INVALID_DATES", ["input", "nights"])),
    "nights-negative": ({"nights": -1}, ("INVALID_DATES", ["input", "nights"])),
    "nights-366": ({"nights": 366}, ("INVALID_DATES", ["input", "nights"])),
    "end-before-start": (
        {"nights": None, "endDate": soon(-1)},
        ("INVALID_DATES", ["input", "endDate"]),
    ),
    "end-equals-start": (
        {"nights": None, "endDate": soon()},
        ("INVALID_DATES", ["input", "endDate"]),
    ),
    "end-and-nights": ({"endDate": soon(2)}, ("INVALID_DATES", ["input", "endDate"])),
    "neither-end-nor-nights": ({"nights": None}, ("INVALID_DATES", ["input", "endDate"])),
    "quantity-0": ({"quantity": 0}, ("INVALID_INPUT", ["input", "quantity"])),
    "quantity-negative": ({"quantity": -5}, ("INVALID_INPUT", ["input", "quantity"])),
    "quantity-above-units": ({"quantity": 3}, ("INVALID_INPUT", ["input", "quantity"])),
    "quantity-overflow": ({"quantity": 2**31}, INVALID),
    "too-far-ahead": (
        {"startDate": str(date.today() + timedelta(days=MAX_DAYS_AHEAD + 1))},
        ("INVALID_DATES", ["input", "startDate"]),
    ),
    "year-9999": ({"startDate": "9999-12-31"}, ("INVALID_DATES", ["input", "startDate"])),
    "year-1": ({"startDate": "0001-01-01"}, ("INVALID_DATES", ["input", "startDate"])),
    "unknown-listing": ({"listingId": UNKNOWN}, ("NOT_FOUND", ["input", "listingId"])),
    "malformed-listing": ({"listingId": "nope"}, ("NOT_FOUND", ["input", "listingId"])),
    "long-guest-name": ({"guestName": "x" * 10_000}, ("INVALID_INPUT", ["input", "guestName"])),
    "long-idempotency-key": (
        {"idempotencyKey": "k" * 10_000},
        ("INVALID_INPUT", ["input", "idempotencyKey"]),
    ),
}


@pytest.mark.parametrize("case", RESERVE_CASES)
async def test_create_reservation(client, listing_id, guest_token, case):
    changes, expected = RESERVE_CASES[case]
    reservation = {"listingId": listing_id, "startDate": soon(), "nights": 2, **changes}
    answer = await client(RESERVE, {"input": reservation}, token=guest_token)
    assert_rejected(answer, "createReservation", expected)


async def test_start_date_past_in_the_listings_timezone(client, db, host, guest_token):
    # Kiritimati is UTC+14: from 10:00 UTC on, its yesterday is still today in UTC.
    listing_id = await make_listing(db, host, timezone="Pacific/Kiritimati")
    start = today_in("Pacific/Kiritimati") - timedelta(days=1)
    reservation = {"listingId": str(listing_id), "startDate": str(start), "nights": 1}
    answer = await client(RESERVE, {"input": reservation}, token=guest_token)
    assert_rejected(answer, "createReservation", ("INVALID_DATES", ["input", "startDate"]))


AVAILABILITY_CASES = {
    "unknown-listing": ({"id": UNKNOWN}, ("NOT_FOUND", ["listingId"])),
    "malformed-listing": ({"id": "nope"}, ("NOT_FOUND", ["listingId"])),
    "date-month-13": ({"start": "2031-13-45"}, INVALID),
    "date-empty": ({"end": ""}, INVALID),
    "end-before-start": ({"end": soon(-3)}, ("INVALID_DATES", ["endDate"])),
    "too-long": ({"end": soon(400)}, ("INVALID_DATES", ["endDate"])),
    "years-ahead": ({"start": "2999-01-01", "end": "2999-01-03"}, ("INVALID_DATES", ["startDate"])),
    "quantity-0": ({"quantity": 0}, ("INVALID_INPUT", ["quantity"])),
    "quantity-string": ({"quantity": "two"}, INVALID),
}


@pytest.mark.parametrize("case", AVAILABILITY_CASES)
async def test_availability(client, listing_id, case):
    changes, expected = AVAILABILITY_CASES[case]
    variables = {"id": listing_id, "start": soon(), "end": soon(2), **changes}
    assert_rejected(await client(AVAILABILITY, variables), "availability", expected)


SEARCH = """query($start: Date!, $nights: Int!, $quantity: Int! = 1, $first: Int! = 20) {
  searchAvailability(startDate: $start, nights: $nights, quantity: $quantity, first: $first) {
    edges { node { id } }
  }
}"""
SEARCH_CASES = {
    "nights-0": ({"nights": 0}, ("INVALID_DATES", ["nights"])),
    "nights-366": ({"nights": 366}, ("INVALID_DATES", ["nights"])),
    "nights-overflow": ({"nights": 2**31}, INVALID),
    "quantity-0": ({"quantity": 0}, ("INVALID_INPUT", ["quantity"])),
    "first-101": ({"first": 101}, ("INVALID_INPUT", ["first"])),
    "year-9999": ({"start": "9999-12-31"}, ("INVALID_DATES", ["startDate"])),
    "date-word": ({"start": "tomorrow"}, INVALID),
}


@pytest.mark.parametrize("case", SEARCH_CASES)
async def test_search_availability(client, listing_id, case):
    changes, expected = SEARCH_CASES[case]
    variables = {"start": soon(), "nights": 2, **changes}
    assert_rejected(await client(SEARCH, variables), "searchAvailability", expected)


@pytest.mark.parametrize("id_", [UNKNOWN, "nope", ""])
async def test_lookups_by_unknown_or_malformed_id(client, guest_token, id_):
    query = "query($id: ID!) { listing(id: $id) { id } reservation(id: $id) { id } }"
    answer = await client(query, {"id": id_}, token=guest_token)
    assert answer.status == 200
    assert answer.data == {"listing": None, "reservation": None}

    cancel = (
        "mutation($id: ID!) { cancelReservation(id: $id) { reservation { id } errors "
        "{ code field } } }"
    )
    answer = await client(cancel, {"id": id_}, token=guest_token)
    assert_rejected(answer, "cancelReservation", ("NOT_FOUND", ["id"]))


LISTINGS_CASES = {
    "first-0": ({"first": 0}, ("INVALID_INPUT", ["first"])),
    "first-101": ({"first": 101}, ("INVALID_INPUT", ["first"])),
    "first-negative": ({"first": -1}, ("INVALID_INPUT", ["first"])),
    "first-overflow": ({"first": 2**31}, INVALID),
    "after-garbage": ({"after": "garbage!!"}, ("INVALID_INPUT", ["after"])),
    "after-short": ({"after": "AAAA"}, ("INVALID_INPUT", ["after"])),
    "after-non-ascii": ({"after": "é"}, ("INVALID_INPUT", ["after"])),
    "min-price-garbage": (
        {"filter": {"minPrice": "abc"}},
        ("INVALID_INPUT", ["filter", "minPrice"]),
    ),
    "max-price-nan": ({"filter": {"maxPrice": "NaN"}}, ("INVALID_INPUT", ["filter", "maxPrice"])),
    "unknown-kind": ({"filter": {"kind": "CASTLE"}}, INVALID),
}


@pytest.mark.parametrize("case", LISTINGS_CASES)
async def test_listings(client, case):
    variables, expected = LISTINGS_CASES[case]
    assert_rejected(await client(LISTINGS, variables), "listings", expected)


LISTING_CASES = {
    "timezone-unknown": ({"timezone": "Mars/Olympus"}, ("INVALID_INPUT", ["input", "timezone"])),
    "timezone-path": ({"timezone": "../etc/passwd"}, ("INVALID_INPUT", ["input", "timezone"])),
    "timezone-absolute-path": (
        {"timezone": "/etc/passwd"},
        ("INVALID_INPUT", ["input", "timezone"]),
    ),
    "timezone-empty": ({"timezone": ""}, ("INVALID_INPUT", ["input", "timezone"])),
    **{
        f"price-{price}": ({"nightlyPrice": price}, ("INVALID_INPUT", ["input", "nightlyPrice"]))
        for price in ["-1", "abc", "1.234", "NaN", "Infinity", "-Infinity", "sNaN", "1e12", ""]
    },
    "title-10kB": ({"title": "x" * 10_240}, ("INVALID_INPUT", ["input", "title"])),
    "title-blank": ({"title": "   "}, ("INVALID_INPUT", ["input", "title"])),
    "units-0": ({"units": 0}, ("INVALID_INPUT", ["input", "units"])),
    "max-guests-0": ({"maxGuests": 0}, ("INVALID_INPUT", ["input", "maxGuests"])),
    "description-too-long": (
        {"description": "d" * 10_001},
        ("INVALID_INPUT", ["input", "description"]),
    ),
    "units-overflow": ({"units": 2**31}, INVALID),
    "country": ({"country": "France"}, ("INVALID_INPUT", ["input", "country"])),
    "currency": ({"currency": "EURO"}, ("INVALID_INPUT", ["input", "currency"])),
    "kind-unknown": ({"kind": "CASTLE"}, INVALID),
    "price-number": ({"nightlyPrice": 12.5}, INVALID),
}


@pytest.mark.parametrize("case", LISTING_CASES)
async def test_create_listing(client, host_token, case):
    changes, expected = LISTING_CASES[case]
    listing = {"title": "Loft", "nightlyPrice": "120.00", **changes}
    answer = await client(CREATE_LISTING, {"input": listing}, token=host_token)
    assert_rejected(answer, "createListing", expected)


# --- the request itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        'listingId: "x", startDate: {year: 2031}, nights: 2',
        f'listingId: "x", startDate: "{SOON}", nights: "3"',
        f'listingId: "x", startDate: "{SOON}", nights: 2147483648',
        f'listingId: "x", startDate: "{SOON}", nights: 2.5',
        f'listingId: "x", startDate: "{SOON}", nights: 2, color: "red"',
    ],
)
async def test_wrong_literal_types(client, guest_token, arguments):
    query = f"mutation {{ createReservation(input: {{{arguments}}}) {{ errors {{ code }} }} }}"
    assert_rejected(await client(query, token=guest_token), "createReservation", INVALID)


async def test_unknown_field_is_a_validation_error(client):
    answer = await client("{ listings { edges { node { titel } } } }")
    assert_rejected(answer, "listings", INVALID)
    assert "Did you mean" in answer.errors[0]["message"]


async def test_production_gives_no_field_suggestions(settings):
    app = create_app(settings.model_copy(update={"environment": "production"}))
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            client = GraphQLClient(http)
            for query, variables in [
                ("{ listings { edges { node { titel } } } }", None),
                ("{ listings(frist: 2) { totalCount } }", None),
                (LISTINGS, {"filter": {"kind": "STAYS"}}),
            ]:
                answer = await client(query, variables)
                assert_rejected(answer, "listings", INVALID)
                assert "Did you mean" not in str(answer.body), answer.body


async def test_query_deeper_than_the_limit(client, settings):
    inner, depth = "id", 3  # listings > edges > node
    while depth <= settings.max_query_depth + 1:
        inner, depth = f"reservations {{ edges {{ node {{ listing {{ {inner} }} }} }} }}", depth + 2
    answer = await client(f"{{ listings {{ edges {{ node {{ {inner} }} }} }} }}")
    assert_rejected(answer, "listings", INVALID)
    assert "depth" in answer.errors[0]["message"]


async def test_more_aliases_than_the_limit(client, settings):
    aliases = " ".join(f"a{n}: me {{ id }}" for n in range(settings.max_aliases + 1))
    answer = await client(f"{{ {aliases} }}")
    assert answer.status < 500
    assert answer.errors and answer.body.get("data") is None, answer.body
    assert "aliases" in answer.errors[0]["message"]


MALFORMED_BODIES = [b"", b"{", b'{"query": ', b"\xff\xfe", b"[]", b'{"query": 5}']
# Valid JSON that is not an object: must be 400 like the rest, not a crash.
NOT_AN_OBJECT = [b"null", b"5", b"true", b'"{ me { id } }"']


@pytest.mark.parametrize("content", MALFORMED_BODIES + NOT_AN_OBJECT)
async def test_malformed_body(app, content):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        headers = {"Content-Type": "application/json"}
        response = await http.post("/graphql", content=content, headers=headers)
        assert response.status_code == 400, response.text


async def test_body_without_json_content_type(client):
    response = await client.http.post("/graphql", content=b'{"query": "{ me { id } }"}')
    assert response.status_code == 400, response.text


# PostgreSQL text cannot hold U+0000: such input must be refused, not crash the query.
NUL = "a\u0000b"
PASSWORD = 'password: "long enough"'
NUL_CASES = {
    "register-email": (
        f'register(input: {{email: $v, {PASSWORD}, name: "N"}}) {{ errors {{ code field }} }}',
        NUL + "@example.com",
        ("INVALID_INPUT", ["input", "email"]),
    ),
    "register-name": (
        f'register(input: {{email: "n@example.com", {PASSWORD}, name: $v}}) '
        "{ errors { code field } }",
        NUL,
        ("INVALID_INPUT", ["input", "name"]),
    ),
    "login-email": (
        f"login(input: {{email: $v, {PASSWORD}}}) {{ errors {{ code field }} }}",
        NUL + "@example.com",
        ("INVALID_CREDENTIALS", None),
    ),
    "listing-title": (
        'createListing(input: {title: $v, nightlyPrice: "1"}) { errors { code field } }',
        NUL,
        ("INVALID_INPUT", ["input", "title"]),
    ),
    "token-name": (
        "createApiToken(name: $v) { errors { code field } }",
        NUL,
        ("INVALID_INPUT", ["name"]),
    ),
    "filter-text": (
        "listings(filter: {text: $v}) { totalCount }",
        NUL,
        ("INVALID_INPUT", ["filter", "text"]),
    ),
}


@pytest.mark.parametrize("case", NUL_CASES)
async def test_nul_character(client, host_token, case):
    selection, value, expected = NUL_CASES[case]
    operation = "query" if selection.startswith("listings") else "mutation"
    answer = await client(
        f"{operation}($v: String!) {{ {selection} }}", {"v": value}, token=host_token
    )
    assert_rejected(answer, selection.split("(")[0], expected)


# Found by tests/fuzz/test_fuzz_graphql.py: wall-clock arithmetic at the ends of the calendar, in
# zones far from UTC, overflowed (OverflowError, "Unexpected error.").
FAR_ZONES = ["Pacific/Kiritimati", "America/Adak"]
CALENDAR_ENDS = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:16:42-09:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:00:00+14:00",
    # Instants past the ends of the calendar in UTC.
    "9999-12-31T23:00:00-09:00",
    "0001-01-01T00:00:00+09:00",
]
BOOK_SLOT = """mutation($input: BookSlotInput!) {
  bookSlot(input: $input) { reservation { id } errors { code field message } }
}"""
SEARCH_SLOTS = """query($id: ID!, $date: Date!) {
  searchSlots(listingId: $id, date: $date) { edges { node { date slots { startsAt } } } }
}"""


@pytest.mark.parametrize("zone", FAR_ZONES)
async def test_book_slot_at_the_ends_of_the_calendar(client, db, host, guest_token, zone):
    listing_id = str(await make_listing(db, host, kind=ListingKind.RESTAURANT, timezone=zone))
    for moment in CALENDAR_ENDS:
        for key in [None, moment]:  # an idempotency key's fingerprint overflowed too
            booking = {"listingId": listing_id, "startsAt": moment, "idempotencyKey": key}
            answer = await client(BOOK_SLOT, {"input": booking}, token=guest_token)
            assert_rejected(answer, "bookSlot", ("INVALID_DATES", ["input", "startsAt"]))


@pytest.mark.parametrize("zone", FAR_ZONES)
async def test_search_slots_at_the_ends_of_the_calendar(client, db, host, zone):
    listing_id = str(await make_listing(db, host, kind=ListingKind.SPACE, timezone=zone))
    for day in ["0001-01-01", "9999-12-31"]:
        answer = await client(SEARCH_SLOTS, {"id": listing_id, "date": day})
        assert answer.status == 200
        [edge] = answer.data["searchSlots"]["edges"]
        assert edge["node"] == {"date": day, "slots": []}


IMPORT_CALENDAR = """mutation($input: ImportCalendarInput!) {
  importCalendar(input: $input) { created errors { code field message } }
}"""
# Events that overflowed Python's dates: a time in year 1 west of UTC, a DURATION past
# year 9999, an all-day event on 9999-12-31, a recurrence date in year 1.
OVERFLOWING_EVENTS = {
    "tzid-year-1": "DTSTART;TZID=America/Adak:00010101T000000\r\n"
    "DTEND;TZID=America/Adak:00010101T010000\r\n",
    "duration-past-9999": "DTSTART;VALUE=DATE:20270101\r\nDURATION:P99999999D\r\n",
    "all-day-9999-12-31": "DTSTART;VALUE=DATE:99991231\r\nDTEND;VALUE=DATE:99991231\r\n",
    "rdate-year-1": "DTSTART:20270101T000000Z\r\nDURATION:PT1H\r\n"
    "RDATE;TZID=America/Adak:00010101T000000\r\n",
}


@pytest.mark.parametrize("case", OVERFLOWING_EVENTS)
async def test_import_calendar_at_the_ends_of_the_calendar(client, listing_id, host_token, case):
    event = f"BEGIN:VEVENT\r\nUID:edge\r\n{OVERFLOWING_EVENTS[case]}END:VEVENT\r\n"
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{event}END:VCALENDAR\r\n"
    answer = await client(
        IMPORT_CALENDAR, {"input": {"listingId": listing_id, "icsText": text}}, token=host_token
    )
    assert_rejected(answer, "importCalendar", ("INVALID_INPUT", ["input", "icsText"]))
    assert "Event edge" in answer.data["importCalendar"]["errors"][0]["message"]


async def test_cost_of_page_sizes_out_of_range(client):
    huge = 10**23  # not an Int: validation refuses it (the cost rule once multiplied it: a 500)
    nested = f"edges {{ node {{ reservations(first: {huge}) {{ edges {{ node {{ id }} }} }} }} }}"
    query = f"{{ listings(first: {huge}) {{ {nested} }} }}"
    assert_rejected(await client(query), "listings", INVALID)


async def test_a_cost_past_64_bits_is_refused_as_any_other(client):
    """Valid page sizes nested deep enough multiply past what JSON carries exactly."""
    most = 2**31 - 1
    query = "{ listings(first: %d) { edges { node { reviews(first: %d) { edges { node {"
    query += " listing { reservations(first: %d) { edges { node { id } } } } } } } } } } }"
    answer = await client(query % (most, most, most))
    assert answer.status == 200 and answer.body.get("data") is None
    (error,) = answer.errors
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] == 2**53 - 1
