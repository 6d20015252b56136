"""The compiled read path (graphql/engine/compiler/) answers byte for byte what the ordinary
executor answers, for every viewer, and declines what it cannot write exactly.

Each document runs twice over the same data: Settings.compiled_reads true, then false."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import event, text

from bookwell.core.db import connect
from bookwell.core.ids import global_id
from bookwell.core.pagination import encode_cursor
from bookwell.graphql.context import Context
from bookwell.graphql.engine.compiler import run
from bookwell.graphql.schema import build_schema
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.tokens import AccessTokens
from bookwell.services.booking.reservations import NewReservation, create_reservation
from tests.factories import MANY_HOLDS, make_listing, make_user

SOON = date.today() + timedelta(days=9)
TITLE = 'Zoë "Q" \\ O\'Neil\u2028✓ \U0001f600 </script>'
DESCRIPTION = "line\nbreak\ttab\x01\x1f end"
LONG_ALIAS = "a_response_name_longer_than_the_sixty_three_characters_postgresql_keeps_in_names"

NESTED = """query Nested($after: String) { listings(first: 100, after: $after) { edges { node {
  id title owner { id name }
  reservations(first: 5) { edges { node { id startDate endDate status } } } } } } }"""
AVAILABILITY = """query Availability($listingId: ID!, $start: Date!, $end: Date!) {
  availability(listingId: $listingId, startDate: $start, endDate: $end) { available freeUnits } }"""
SEARCH = """query Search($start: Date!, $nights: Int!, $filter: ListingFilter) {
  searchAvailability(startDate: $start, nights: $nights, filter: $filter, first: 20) {
  edges { node { id title nightlyPrice { amount currency } } } pageInfo { hasNextPage } } }"""

EVERYTHING = """query Everything($first: Int, $after: String, $last: Int, $before: String,
    $rfirst: Int, $rlast: Int, $rafter: String, $rbefore: String) {
  __typename
  listings(first: $first, after: $after, last: $last, before: $before) {
    __typename
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges { __typename cursor again: cursor node { __typename ...Listing } }
  } }
fragment Listing on Listing {
  id databaseId kind title description city country timezone units maxGuests instantBook
  allowGuestCheckout holdMinutes approvalHours offerMinutes maxHoldNights maxHoldUnits
  maxGuestHolds maxListingHolds slotMinutes sittingMinutes
  notifyHostOnCheckIn notifyHostOnNoShow
  nightlyPrice { amount currency __typename } cleaningFee { currency amount }
  cancellationPolicy { freeCancellationDays lateRefundPercent }
  owner { __typename id databaseId name role }
  ... on Listing { t: title title }
  reservations(first: $rfirst, last: $rlast, after: $rafter, before: $rbefore) {
    pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
    edges { cursor node { __typename id databaseId guestName startDate endDate nights quantity
      status partySize cancelReason totalPrice { amount currency } } } }
}"""

TERMS = """query Terms($first: Int, $rfirst: Int) { listings(first: $first) { totalCount
  edges { node { id addressLine1 addressLine2 postalCode autoNoShowAfterHours opensAt closesAt
    bookingRules { minNights maxNights minNoticeHours bookingWindowDays arrivalWeekdays
      departureWeekdays __typename }
    bookingRuleSeasons { __typename id databaseId name startDate endDate
      rules { minNights arrivalWeekdays departureWeekdays } }
    taxes { name kind rate amount { amount currency } inclusive __typename }
    priceRules { __typename id databaseId name startDate endDate weekdays
      nightlyPrice { amount currency } }
    reservations(first: $rfirst) { totalCount edges { node { id } } } } } } }"""

TIMESTAMPS = """query Timestamps($rfirst: Int) {
  listings(first: 4) { edges { node { id createdAt archivedAt
    reservations(first: $rfirst) { edges { node { id createdAt expiresAt confirmedAt
      checkedInAt checkedOutAt cancelledAt startsAt endsAt } } } } } } }"""
# What _timestamps writes, as datetime.isoformat writes it: no fraction when it is zero.
WRITTEN_TIMESTAMPS = (
    b'"createdAt":"2031-01-04T18:00:00+00:00"',
    b'"createdAt":"2031-01-04T18:00:00.010500+00:00"',
    b'"confirmedAt":"2031-03-30T00:59:59.999999+00:00"',
    b'"startsAt":"2031-10-25T23:30:00.000001+00:00"',
    b'"endsAt":"2031-10-26T01:00:00+00:00"',
)

# name: (document, variables); "cursor:<n>" stands for the n-th listing's cursor.
DOCUMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "the bench's nested read": (NESTED, {}),
    "nested read after a cursor": (NESTED, {"after": "cursor:1"}),
    "nested read past the end": (NESTED, {"after": "cursor:-1"}),
    "every plain field": (EVERYTHING, {"first": 3, "rfirst": 2}),
    "a second page, nested pages backwards": (
        EVERYTHING,
        {"first": 2, "after": "cursor:0", "rlast": 2},
    ),
    "last before a cursor": (EVERYTHING, {"last": 2, "before": "cursor:3", "rfirst": 50}),
    "nested pages after a reservation cursor": (
        EVERYTHING,
        {"first": 4, "rfirst": 1, "rafter": "reservation:0"},
    ),
    "nested pages before a reservation cursor": (
        EVERYTHING,
        {"last": 4, "rlast": 1, "rbefore": "reservation:0"},
    ),
    "an empty page": (
        '{ listings(filter: {city: "Nowhere"}) { edges { node { id } } '
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
        {},
    ),
    "a long alias and aliased roots": (
        "{ a: listings(first: 2) { edges { node { LONG: title s: id } } }"
        ' b: listings(first: 3, filter: {text: "zoë", country: "de", kind: STAY,'
        " minGuests: 2}) { edges { node { title } } } }".replace("LONG", LONG_ALIAS),
        {},
    ),
    "availability": (AVAILABILITY, {"listingId": "listing:0", "start": "soon:0", "end": "soon:3"}),
    "availability by database id, in the past": (
        'query($id: ID!) { availability(listingId: $id, startDate: "2020-01-01",'
        ' endDate: "2020-01-03", quantity: 2) { __typename listingId startDate endDate'
        " quantity available freeUnits } }",
        {"id": "uuid:0"},
    ),
    "issue 19's terms, counts": (TERMS, {"first": 4, "rfirst": 2}),
    "counts of the second page": (TERMS, {"first": 2, "rfirst": 1}),
    "a search's count": (
        "query($start: Date!) { searchAvailability(startDate: $start, nights: 2) { totalCount"
        " pageInfo { hasNextPage } edges { node { id } } } }",
        {"start": "soon:0"},
    ),
    "timestamps": (TIMESTAMPS, {"rfirst": 4}),
    "one-city search": (SEARCH, {"start": "soon:0", "nights": 2, "filter": {"city": "köln"}}),
    "search everywhere": (SEARCH, {"start": "soon:1", "nights": 3}),
}

VIEWERS = ["anonymous", "guest", "host", "admin"]


@pytest.fixture
async def world(db) -> dict[str, Any]:
    host = await make_user(db, Role.HOST, 'Host "H" ✓')
    other_host = await make_user(db, Role.HOST, "Other host")
    guest = await make_user(db, Role.GUEST, "Guest G")
    other_guest = await make_user(db, Role.GUEST, "Other guest")
    admin = await make_user(db, Role.ADMIN, "Admin")
    listing_ids = []
    for n, owner in enumerate([host, other_host, host, other_host]):
        title = TITLE if n == 0 else f"L{n}"
        listing_ids.append(
            await make_listing(
                db,
                owner,
                title=title,
                description=DESCRIPTION if n == 0 else "",
                city="Köln" if n < 2 else None,
                country="DE" if n < 2 else None,
                units=3,
                nightly_price="1234567.5" if n == 0 else "80",
                max_guests=None if n else 4,
                **MANY_HOLDS,
            )
        )
    reservation_ids = []
    for index, listing_id in enumerate(listing_ids[:3]):
        for k in range(4):
            booker = guest if k % 2 == 0 else other_guest
            name = 'Zoë "Q" \\ ✓' if k == 0 else None
            data = NewReservation(
                listing_id, SOON + timedelta(days=2 * k + index), nights=1, guest_name=name
            )
            async with db.transaction() as session:
                row = await create_reservation(session=session, guest=booker, data=data)
            reservation_ids.append(row.id)
    await _terms(db, listing_ids[0])  # after the bookings: its rules would refuse them
    await _timestamps(db, listing_ids, reservation_ids)
    return {
        "viewers": {"anonymous": None, "guest": guest, "host": host, "admin": admin},
        "listings": listing_ids,
        "reservations": reservation_ids,
    }


async def _terms(db, listing_id) -> None:
    """Issue 19's terms on one listing: an address, hours, a no-show policy, booking rules,
    two seasons and two taxes (the other listings have none)."""
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE listings SET address_line1 = :title, postal_code = '50667',"
                " auto_no_show_after_hours = 3, opens_at = '09:30:00.25', closes_at = '23:00',"
                " notify_host_on_check_in = 'ALWAYS', notify_host_on_no_show = 'NEVER'"
                " WHERE id = :id"
            ),
            {"id": listing_id, "title": TITLE},
        )
        await session.execute(
            text(
                "INSERT INTO listing_booking_rules (id, listing_id, name, start_date, end_date,"
                " min_nights, max_nights, min_notice_hours, arrival_weekdays) VALUES"
                " (gen_random_uuid(), :id, NULL, NULL, NULL, 2, NULL, 0, '{6,1}'),"
                " (gen_random_uuid(), :id, :title, '2031-06-01', '2031-09-01', 7, NULL, NULL,"
                " NULL),"
                " (gen_random_uuid(), :id, NULL, '2031-12-20', '2032-01-03', NULL, 3, NULL, '{}')"
            ),
            {"id": listing_id, "title": TITLE},
        )
        await session.execute(
            text(
                "INSERT INTO listing_taxes (id, listing_id, position, name, kind, rate, amount,"
                " inclusive) VALUES (gen_random_uuid(), :id, 1, 'Tourist tax',"
                " 'PER_PERSON_NIGHT', NULL, 2.5, false),"
                " (gen_random_uuid(), :id, 0, :title, 'PERCENT', 7.25, NULL, true),"
                " (gen_random_uuid(), :id, 2, 'Round', 'PERCENT', 100, NULL, false)"
            ),
            {"id": listing_id, "title": TITLE},
        )
        await session.execute(
            text(
                "INSERT INTO listing_price_rules (id, listing_id, name, start_date, end_date,"
                " weekdays, nightly_price) VALUES"
                " (gen_random_uuid(), :id, :title, '2031-06-01', NULL, '{}', 1234.5),"
                " (gen_random_uuid(), :id, 'Weekends', NULL, '2032-01-01', '{6,7}', 80),"
                " (gen_random_uuid(), :id, 'Always', NULL, NULL, NULL, 0)"
            ),
            {"id": listing_id, "title": TITLE},
        )


async def _timestamps(db, listing_ids, reservation_ids) -> None:
    """Timestamps with and without microseconds, written in other offsets than UTC (the
    others keep now(): microseconds too)."""
    statements = [
        ("UPDATE listings SET created_at = '2031-01-04 19:00:00+01' WHERE id = :a", listing_ids[0]),
        (
            "UPDATE listings SET created_at = '2031-01-04 19:00:00.0105+01' WHERE id = :a",
            listing_ids[1],
        ),
        (
            "UPDATE reservations SET confirmed_at = '2031-03-30 02:59:59.999999+02',"
            " expires_at = NULL WHERE id = :a",
            reservation_ids[0],
        ),
        (
            "UPDATE reservations SET starts_at = '2031-10-26 01:30:00.000001+02',"
            " ends_at = '2031-10-26 02:00:00+01' WHERE id = :a",
            reservation_ids[1],
        ),
    ]
    async with db.transaction() as session:
        # Triggers off for this seeding only: a slot's range is fixed once booked, and a stay
        # given one is enough to compare how they are written.
        await session.execute(text("SET LOCAL session_replication_role = replica"))
        for statement, row_id in statements:
            await session.execute(text(statement), {"a": row_id})


def _value(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {name: _value(item, world) for name, item in value.items()}
    if not isinstance(value, str) or ":" not in value:
        return value
    kind, _, index = value.partition(":")
    listings = sorted(world["listings"])
    if kind == "cursor":
        return encode_cursor(listings[int(index)])
    if kind == "reservation":
        return encode_cursor(sorted(world["reservations"])[int(index) + 4])
    if kind == "listing":
        return global_id("Listing", listings[int(index)])
    if kind == "uuid":
        return str(listings[int(index)])
    if kind == "soon":
        return (SOON + timedelta(days=int(index))).isoformat()
    return value


def _context(db, settings, viewer: Principal | None) -> Context:
    tokens = AccessTokens(key="k" * 40, issuer="i", audience="a", ttl=timedelta(minutes=5))
    return Context(
        db=db, settings=settings, access_tokens=tokens, principal=viewer, request_id="test"
    )


async def _answer(db, settings, viewer, document: str, variables: dict, compiled: bool):
    chosen = settings.model_copy(update={"compiled_reads": compiled})
    schema = build_schema(chosen)
    before = run.counters.answered
    result = await schema.execute(
        document, variable_values=variables, context_value=_context(db, chosen, viewer)
    )
    took_compiled = run.counters.answered > before
    errors = [(e.message, e.path) for e in result.errors or []]
    return orjson.dumps({"data": result.data}), errors, took_compiled


async def test_timestamps_are_the_same_in_a_session_of_another_timezone(
    db, settings, world, database_url
):
    """The app's sessions are UTC (core/db.py), but a pooler or a role's default may give
    another TimeZone: the compiled SQL must not depend on it, nor the ordinary path."""
    zoned = connect(database_url, pool_size=2, max_overflow=0)

    @event.listens_for(zoned.engine.sync_engine, "connect")
    def _zone(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET TIME ZONE 'America/St_Johns'")  # -03:30 / -02:30
        cursor.close()
        dbapi_connection.commit()  # the adapter opened a transaction: a rollback would undo SET

    try:
        async with zoned.autocommit.connect() as connection:
            zone = (await connection.execute(text("SHOW TimeZone"))).scalar_one()
        assert zone == "America/St_Johns"
        admin = world["viewers"]["admin"]
        utc = await _answer(db, settings, admin, TIMESTAMPS, {"rfirst": 4}, compiled=False)
        for compiled in (True, False):
            answer = await _answer(zoned, settings, admin, TIMESTAMPS, {"rfirst": 4}, compiled)
            assert answer[2] is compiled
            assert answer[:2] == utc[:2]
        assert all(written in utc[0] for written in WRITTEN_TIMESTAMPS)
    finally:
        await zoned.dispose()


@pytest.mark.parametrize("viewer_name", VIEWERS)
@pytest.mark.parametrize("name", DOCUMENTS)
async def test_the_compiled_answer_is_the_ordinary_one_byte_for_byte(
    db, settings, world, name, viewer_name
):
    document, variables = DOCUMENTS[name]
    variables = _value(variables, world)
    viewer = world["viewers"][viewer_name]
    compiled = await _answer(db, settings, viewer, document, variables, compiled=True)
    ordinary = await _answer(db, settings, viewer, document, variables, compiled=False)
    assert ordinary[1] == []
    assert compiled[2], "the compiled path answered"
    assert not ordinary[2], "compiled_reads=false never compiles"
    assert compiled[:2] == ordinary[:2]
    if "listings" in document and "Nowhere" not in document and "past the end" not in name:
        assert b'"node"' in compiled[0]  # not only empty pages compared
    if document is TERMS:  # the terms themselves compared, not only nulls and empty lists
        for written in (b'"opensAt":"09:30:00.250000"', b'"rate":"7.25"', b'"rate":"100"'):
            assert written in compiled[0]
        assert b'"bookingRuleSeasons":[{' in compiled[0] and b'"amount":"2.50"' in compiled[0]
        for written in (b'"weekdays":null', b'"weekdays":[6,7]', b'"amount":"1234.50"'):
            assert written in compiled[0]
    if document is TIMESTAMPS:
        for written in WRITTEN_TIMESTAMPS[:2]:
            assert written in compiled[0]
        if viewer_name in ("host", "admin"):  # the guest sees only some of them
            assert all(written in compiled[0] for written in WRITTEN_TIMESTAMPS)


async def test_reservations_are_the_viewers_own(db, settings, world):
    """The visibility predicate in SQL: a guest sees theirs, a host their listings', an
    admin all, an anonymous caller none (and both paths agree, above)."""
    counts = {}
    for viewer_name in VIEWERS:
        body, _, took = await _answer(
            db, settings, world["viewers"][viewer_name], NESTED, {}, compiled=True
        )
        assert took
        counts[viewer_name] = body.count(b"UmVzZXJ2YXRpb2")  # base64 of "Reservation"
    assert counts == {"anonymous": 0, "guest": 6, "host": 8, "admin": 12}


async def test_an_operation_is_planned_once(db, settings, world):
    schema = build_schema(settings)
    planned, answered = run.counters.planned, run.counters.answered
    for after in (None, encode_cursor(sorted(world["listings"])[1]), None):
        context = _context(db, settings, world["viewers"]["host"])
        result = await schema.execute(NESTED, {"after": after}, context_value=context)
        assert result.errors is None
    assert run.counters.planned == planned + 1
    assert run.counters.answered == answered + 3


@contextmanager
def statements(db) -> Iterator[list[str]]:
    """Every statement PostgreSQL is sent while inside, whatever path sends it."""
    seen: list[str] = []

    def log(record) -> None:
        seen.append(record.query)

    def checkout(dbapi_connection, record, proxy) -> None:
        dbapi_connection.driver_connection.add_query_logger(log)

    def checkin(dbapi_connection, record) -> None:
        dbapi_connection.driver_connection.remove_query_logger(log)

    def executed(connection, cursor, statement, *arguments) -> None:
        seen.append(statement)

    # The compiled path sends its statement on asyncpg's connection itself, which the query
    # logger sees; SQLAlchemy's own statements (prepared first) only its engine events see.
    pool, engine = db.engine.sync_engine.pool, db.engine.sync_engine
    # raw_read's kept connections skip the pool's events: none kept while inside.
    assert not len(db.idle)
    keep, db.idle.keep = db.idle.keep, 0
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
        event.remove(engine, "before_cursor_execute", executed)
        db.idle.keep = keep


async def test_the_nested_read_is_one_statement(db, settings, world):
    async with db.read_connection() as connection:  # a connection in the pool first
        await connection.execute(text("SELECT 1"))
    for viewer_name in VIEWERS:
        viewer = world["viewers"][viewer_name]
        with statements(db) as seen:
            _, errors, took = await _answer(db, settings, viewer, NESTED, {}, compiled=True)
            await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
        assert took and errors == []
        assert len(seen) == 1, seen
        with statements(db) as seen:
            await _answer(db, settings, viewer, NESTED, {}, compiled=False)
        assert len(seen) > 1


DECLINED = {
    "latitude": "{ listings { edges { node { id latitude } } } }",
    "a directive": "{ listings { edges { node { id title @include(if: true) } } } }",
    "an interface fragment": "{ listings { edges { node { ... on Node { id } } } } }",
    "a resolver with its own rules": "{ listings { edges { node { calendarUrl } } } }",
    "a field merged from two selections": (
        "{ listings(first: 5) { edges { node { id } } } listings(first: 5) { edges { cursor } } }"
    ),
    "introspection": "{ __schema { queryType { name } } }",
    "out of range": "{ listings(first: 0) { edges { node { id } } } }",
    "a nested page out of range": (
        "{ listings { edges { node { reservations(first: 51) { edges { cursor } } } } } }"
    ),
    "a bad cursor": '{ listings(after: "nope") { edges { node { id } } } }',
    "a price filter the input refuses": (
        '{ listings(filter: {minPrice: "10.001"}) { edges { node { id } } } }'
    ),
    "an unknown listing": (
        '{ availability(listingId: "0190b3c4-0000-7000-8000-000000000000",'
        ' startDate: "2031-01-01", endDate: "2031-01-02") { available } }'
    ),
    "a mutation": 'mutation { login(email: "a@b.c", password: "x") { token } }',
}


@pytest.mark.parametrize("name", DECLINED)
async def test_what_it_cannot_write_exactly_goes_the_ordinary_way(db, settings, world, name):
    admin = world["viewers"]["admin"]
    compiled = await _answer(db, settings, admin, DECLINED[name], {}, compiled=True)
    ordinary = await _answer(db, settings, admin, DECLINED[name], {}, compiled=False)
    assert not compiled[2]
    assert compiled[:2] == ordinary[:2]


async def test_a_manage_link_goes_the_ordinary_way(db, settings, world):
    guest = world["viewers"]["guest"]
    scoped = Principal(guest.user_id, guest.role, reservation_scope=world["reservations"][0])
    compiled = await _answer(db, settings, scoped, NESTED, {}, compiled=True)
    ordinary = await _answer(db, settings, scoped, NESTED, {}, compiled=False)
    assert not compiled[2]
    assert compiled[:2] == ordinary[:2]


async def test_a_private_api_refuses_anonymous_callers_as_before(db, settings, world):
    private = settings.model_copy(update={"private_api": True})
    compiled = await _answer(db, private, None, NESTED, {}, compiled=True)
    ordinary = await _answer(db, private, None, NESTED, {}, compiled=False)
    assert not compiled[2]
    assert compiled[:2] == ordinary[:2] and compiled[1]
