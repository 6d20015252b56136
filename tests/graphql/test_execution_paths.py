"""The executor's fast paths (graphql/engine/execution.py, plain_tree.py) answer exactly what
graphql-core's normal path answers: the same data, the same errors at the same paths."""

from datetime import date, timedelta

import orjson
import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bookwell.graphql.context import Context
from bookwell.graphql.schema import build_schema
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.tokens import AccessTokens
from bookwell.services.booking.reservations import NewReservation, create_reservation
from tests.factories import MANY_HOLDS, make_listing, make_user

SOON = date.today() + timedelta(days=9)
# Text JSON must escape, written by PostgreSQL on one path and orjson on the other.
TITLE = 'Zoë "Q" \\ O\'Neil\u2028✓'
DESCRIPTION = "line\nbreak\ttab\x01"

QUERIES = {
    "nested page": """
        query($first: Int!) { listings(first: 50) { totalCount edges { cursor node {
          __typename id title nightlyPrice { amount currency } owner { id name role }
          newest: reservations(first: $first) { edges { node { id startDate status guest { name }
            listing { title owner { name } } } } }
          all: reservations(first: 10) { edges { node { id ... on Reservation { nights quantity }
            } } }
          availability(startDate: "2031-01-01", endDate: "2031-01-03") { freeUnits }
          skipped: title @skip(if: true)
        } } } }""",
    "bad argument inside": """
        { listings { edges { node { id reservations(first: 0) { edges { node { id } } } } } } }""",
    "reservations page": """
        { reservations(first: 20) { edges { node {
          id guestName totalPrice { amount } payment { status amount { amount } }
          price { total { amount } lineItems { kind amount { amount } } }
          listing { id title owner { name } } guest { id name } } } } }""",
    # Pages of plain columns come as JSON from PostgreSQL (graphql/engine/json_pages.py).
    "json page": """
        query($first: Int!) { listings(first: 50) { edges { node { id
          reservations(first: $first) { edges { node { __typename id again: id guestName
            startDate endDate
            nights quantity status partySize cancelReason
            totalPrice { amount currency __typename } ...More ... on Reservation { quantity } } } }
        } } } }
        fragment More on Reservation { startDate n: nights }""",
    # `s` once named the row the JSON is made of; a long alias is cut by PostgreSQL at 63.
    "json page with awkward aliases": """
        { listings(first: 50) { edges { node { reservations(first: 3) { edges { node { s: id
          startDate
          totalPrice { s: amount } } } } } } } }""",
    "json page with a long alias": """
        { listings(first: 50) { edges { node { reservations(first: 3) { edges { node {
          a_response_name_longer_than_the_sixty_three_characters_postgresql_keeps: id } } } } } }
            }""",
    "json page beside another selection": """
        { listings(first: 50) { edges { node {
          a: reservations(first: 3) { edges { node { id } } } b: reservations(first: 3) { edges {
            node { status } } } } } } }""",
    "json page with a directive": """
        { listings(first: 50) { edges { node {
          reservations(first: 3) { edges { node { id status @include(if: false) } } } } } } }""",
    "json page with a timestamp": """
        { listings(first: 50) { edges { node { reservations(first: 3) { edges { node { id
          createdAt } } } } } } }""",
    "search with nested availability": """
        { searchAvailability(startDate: "2031-01-01", nights: 2) { edges { node {
          id owner { name } availability(startDate: "2031-01-01", endDate: "2031-01-03") {
            available freeUnits } } } } }""",
    # A listing connection's edges of plain columns: compiled (graphql/engine/compiler/),
    # or built as objects when compiled reads are off.
    "search edges as json": """
        { searchAvailability(startDate: "2031-01-01", nights: 2, first: 3) {
          totalCount pageInfo { hasNextPage endCursor }
          edges { __typename cursor again: cursor node { __typename id kind title description
            city country timezone nightlyPrice { amount currency __typename } units maxGuests
            instantBook holdMinutes approvalHours offerMinutes cleaningFee { amount currency }
            cancellationPolicy { freeCancellationDays lateRefundPercent } slotMinutes
            sittingMinutes ...F ... on Listing { t: title } } } } }
        fragment F on Listing { id s: units }""",
    "listing edges as json, two aliases": """
        { a: listings(first: 2) { edges { node { id title } } pageInfo { endCursor } }
          b: listings(first: 50, filter: {text: "Zoë"}) { edges { cursor node { s: title } } } }""",
    "listing edges as json, none found": """
        { listings(filter: {city: "Nowhere"}) { edges { node { id } }
          pageInfo { hasNextPage } } }""",
    "listing edges with a timestamp": """
        { listings(first: 50) { edges { node { id createdAt } } } }""",
    "listing edges with a directive": """
        { listings(first: 50) { edges { node { id title @include(if: true) } } } }""",
    "listing edges merged from two selections": """
        { listings(first: 50) { edges { node { id } } }
          listings(first: 50) { edges { cursor } } }""",
}
JSON_ANSWERS = {
    "json page",
    "json page with awkward aliases",
    # Timestamps as datetime.isoformat writes them (core/json_rows.iso_datetime_of).
    "json page with a timestamp",
}


def _has_fragment(value) -> bool:
    if isinstance(value, orjson.Fragment):
        return True
    if isinstance(value, dict):
        return any(_has_fragment(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_fragment(v) for v in value)
    return False


@pytest.fixture
async def viewer(db) -> Principal:
    host = await make_user(db, Role.HOST, "Host H")
    guest = await make_user(db, Role.GUEST, "Guest G")
    for n in range(3):
        listing_id = await make_listing(db, host, title=f"L{n}", units=3, city=None, **MANY_HOLDS)
        for k in range(n + 2):
            # A name JSON must escape, written by PostgreSQL on one path and orjson on the other.
            name = 'Zoë "Q" \\ O\'Neil ✓' if k == 0 else None
            data = NewReservation(
                listing_id, SOON + timedelta(days=2 * k), nights=1, guest_name=name
            )
            async with db.transaction() as session:
                await create_reservation(session=session, guest=guest, data=data)
    # Every column a listing's JSON may hold, with text JSON must escape and nulls.
    await make_listing(
        db,
        host,
        title=TITLE,
        description=DESCRIPTION,
        city="Köln",
        country="DE",
        timezone="Europe/Berlin",
        nightly_price="1234567.5",
        units=4,
        max_guests=None,
        **MANY_HOLDS,
    )
    return host


def _context(db, settings, viewer: Principal) -> Context:
    tokens = AccessTokens(key="k" * 40, issuer="i", audience="a", ttl=timedelta(minutes=5))
    return Context(
        db=db, settings=settings, access_tokens=tokens, principal=viewer, request_id="test"
    )


@pytest.mark.parametrize("name", QUERIES)
async def test_the_fast_paths_answer_as_graphql_core_does(db, settings, viewer, name):
    # The executor's own fast paths, without the compiled read path (which answers some of
    # these documents as one statement: tests/graphql/test_compiled_reads.py); then with it.
    settings = settings.model_copy(update={"compiled_reads": False})
    fast = build_schema(settings)
    normal = build_schema(settings)
    normal.execution_context_class = StrawberryGraphQLCoreExecutionContext
    compiled_settings = settings.model_copy(update={"compiled_reads": True})
    compiled = build_schema(compiled_settings)
    answers = []
    for schema in (fast, normal, compiled):
        context = _context(db, compiled_settings if schema is compiled else settings, viewer)
        result = await schema.execute(
            QUERIES[name], variable_values={"first": 2}, context_value=context
        )
        errors = [(e.message, e.path) for e in result.errors or []]
        if schema is fast:
            prebuilt = _has_fragment(result.data)
        answers.append((orjson.loads(orjson.dumps(result.data)), errors))
    assert answers[0] == answers[1] == answers[2]
    # Only a page whose whole selection is plain columns, for one field node, is JSON.
    assert prebuilt == (name in JSON_ANSWERS)
    data, errors = answers[0]
    if name == "bad argument inside":  # a non-null field's error nulls the page, both ways
        assert errors and all(path[-1] == "reservations" for _, path in errors)
    else:
        assert data is not None and errors == []
    if "edges" in name:  # the answers compared are not empty pages (but one)
        assert (b'"node"' in orjson.dumps(data)) == (not name.endswith("none found"))


async def test_json_edges_are_the_same_bytes_as_the_object_path(db, settings, viewer):
    """Byte for byte, not only as parsed JSON: PostgreSQL writes the text clients get (the
    compiled read path's, against graphql-core's stock executor)."""
    query = QUERIES["search edges as json"].replace("first: 3", "first: 10")
    bodies = []
    for executor in (None, StrawberryGraphQLCoreExecutionContext):
        schema = build_schema(settings)
        if executor is not None:
            schema.execution_context_class = executor
        context = _context(db, settings, viewer)
        result = await schema.execute(query, context_value=context)
        bodies.append(orjson.dumps(result.data))
    assert bodies[0] == bodies[1]
    assert orjson.dumps(TITLE) in bodies[0] and orjson.dumps(DESCRIPTION) in bodies[0]


async def test_paging_through_json_edges_gives_the_pages_of_the_object_path(db, settings, viewer):
    query = """query($after: String) { listings(first: 2, after: $after) {
        edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }"""
    walks = []
    for executor in (None, StrawberryGraphQLCoreExecutionContext):
        schema = build_schema(settings)
        if executor is not None:
            schema.execution_context_class = executor
        pages, after = [], None
        while True:
            result = await schema.execute(
                query,
                variable_values={"after": after},
                context_value=_context(db, settings, viewer),
            )
            assert result.errors is None
            page = orjson.loads(orjson.dumps(result.data))["listings"]
            pages.append(page)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        walks.append(pages)
    assert walks[0] == walks[1]
    assert len(walks[0]) >= 2  # 4 listings, 2 a page


@pytest.mark.parametrize(
    "arguments",
    ["nights: 2, quantity: 0", "nights: 0", 'nights: 2, after: "not a cursor"', "nights: 366"],
)
async def test_bad_arguments_are_refused_alike_on_the_json_path(db, settings, viewer, arguments):
    query = f"""{{ searchAvailability(startDate: "2031-01-01", {arguments}) {{
        edges {{ node {{ id }} }} }} }}"""
    answers = []
    for executor in (None, StrawberryGraphQLCoreExecutionContext):
        schema = build_schema(settings)
        if executor is not None:
            schema.execution_context_class = executor
        result = await schema.execute(query, context_value=_context(db, settings, viewer))
        answers.append((result.data, [(e.message, e.path) for e in result.errors or []]))
    assert answers[0] == answers[1]
    assert answers[0][1], "an error"
