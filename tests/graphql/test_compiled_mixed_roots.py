"""Root by root (issue 18): the roots of an operation that the compiler covers are answered by
its one statement, the others by the ordinary executor, merged in the document's order with
the ordinary executor's errors; byte for byte the answer of compiled_reads=false, for every
viewer (the world and the comparison of test_compiled_reads.py)."""

from typing import Any

import pytest
from sqlalchemy import text

from bookwell.graphql.engine.compiler import run
from tests.graphql import test_compiled_reads as reads
from tests.graphql.test_compiled_reads import VIEWERS, _answer, _value, statements

world = reads.world  # the same fixture

LISTINGS = "listings(first: 3) { totalCount edges { node { id title owner { name } } } }"
UNKNOWN = "0190b3c4-0000-7000-8000-000000000000"

# name: (document, variables), as test_compiled_reads.DOCUMENTS.
MIXED: dict[str, tuple[str, dict[str, Any]]] = {
    "a root with a resolver first": ("{ me { id name } " + LISTINGS + " }", {}),
    "compiled between two ordinary roots": (
        "query($id: ID!) { a: node(id: $id) { id } " + LISTINGS + " me { role } }",
        {"id": "listing:1"},
    ),
    "a root with a field it cannot write beside one it can": (
        "{ a: listings(first: 2) { edges { node { id latitude } } }"
        " b: listings(first: 4) { totalCount pageInfo { hasNextPage } } }",
        {},
    ),
    "a root under a directive": (
        "query($id: ID!, $yes: Boolean!) { " + LISTINGS + " one: listing(id: $id) @include(if:"
        " $yes) { id title } two: listing(id: $id) @skip(if: $yes) { id } }",
        {"id": "listing:0", "yes": True},
    ),
    "a root fragment under a directive": (
        "query($no: Boolean!) { ...Mine @skip(if: $no) " + LISTINGS + " }"
        ' fragment Mine on Query { me { id } listing(id: "nope") { id } }',
        {"no": False},
    ),
    "a key twice at the root": (
        "{ listings(first: 1) { totalCount } listings(first: 1) { edges { cursor } }"
        ' l: listing(id: "nope") { id } }',
        {},
    ),
    # Refused for an anonymous caller: a non-null root's error nulls all the data.
    "my reservations beside the listings": (
        "{ " + LISTINGS + " reservations(first: 2) { totalCount } me { id } }",
        {},
    ),
    "a bad cursor on one root": (
        '{ a: listings(after: "nope") { totalCount } ' + LISTINGS + " }",
        {},
    ),
    "availability of no listing beside a listing": (
        'query($id: ID!) { availability(listingId: "' + UNKNOWN + '", startDate: "2031-01-01",'
        ' endDate: "2031-01-02") { available } listing(id: $id) { id title } }',
        {"id": "listing:2"},
    ),
    "a nested page out of range in one root": (
        "query($id: ID!) { listing(id: $id) { id reservations(first: 0) { totalCount } } "
        + LISTINGS
        + " }",
        {"id": "listing:0"},
    ),
    "a host's vouchers beside": ("{ vouchers { id } " + LISTINGS + " __typename }", {}),
    "a resolver with its own rules in one root": (
        "query($id: ID!) { listing(id: $id) { id calendarUrl } " + LISTINGS + " }",
        {"id": "listing:0"},
    ),
}


@pytest.mark.parametrize("viewer_name", VIEWERS)
@pytest.mark.parametrize("name", MIXED)
async def test_mixed_roots_answer_as_the_ordinary_executor_does(
    db, settings, world, name, viewer_name
):
    document, variables = MIXED[name]
    variables = _value(variables, world)
    viewer = world["viewers"][viewer_name]
    partly = run.counters.partly
    compiled = await _answer(db, settings, viewer, document, variables, compiled=True)
    ordinary = await _answer(db, settings, viewer, document, variables, compiled=False)
    assert compiled[:2] == ordinary[:2]
    assert compiled[2], "the statement answered some roots"
    assert run.counters.partly == partly + 1, "and the executor the others"
    if not ordinary[1]:  # else a non-null root's error may have nulled all the data
        assert b'"title"' in compiled[0] or b'"totalCount"' in compiled[0]


async def test_the_executor_answers_roots_in_the_documents_order(db, settings, world):
    host = world["viewers"]["host"]
    document, variables = MIXED["compiled between two ordinary roots"]
    body, errors, took = await _answer(
        db, settings, host, document, _value(variables, world), compiled=True
    )
    assert took and errors == []
    assert body.index(b'"a":') < body.index(b'"listings":') < body.index(b'"me":')


async def test_the_compiled_roots_are_one_statement(db, settings, world):
    """Two compiled roots beside an ordinary one: one statement for both, besides the
    statements of the ordinary root alone."""
    async with db.read_connection() as connection:  # a connection in the pool first
        await connection.execute(text("SELECT 1"))
    ordinary_root = "c: listings(first: 1) { edges { node { latitude } } }"
    document = (
        "{ __typename " + LISTINGS + " b: listings(first: 1) { totalCount } " + ordinary_root + " }"
    )
    host = world["viewers"]["host"]
    with statements(db) as alone:
        await _answer(db, settings, host, "{ " + ordinary_root + " }", {}, compiled=True)
    with statements(db) as seen:
        compiled = await _answer(db, settings, host, document, {}, compiled=True)
    ordinary = await _answer(db, settings, host, document, {}, compiled=False)
    assert compiled[:2] == ordinary[:2] and compiled[2]
    assert len(seen) == len(alone) + 1, (alone, seen)


async def test_a_typename_alone_is_not_worth_a_statement(db, settings, world):
    admin = world["viewers"]["admin"]
    document = "{ __typename me { id } }"
    compiled = await _answer(db, settings, admin, document, {}, compiled=True)
    ordinary = await _answer(db, settings, admin, document, {}, compiled=False)
    assert not compiled[2]
    assert compiled[:2] == ordinary[:2]


async def test_an_ordinary_roots_error_leaves_the_compiled_roots_data(db, settings, world):
    """A nullable root's error nulls that root alone: the compiled roots' data stays."""
    host = world["viewers"]["host"]
    document, variables = MIXED["a nested page out of range in one root"]
    body, errors, took = await _answer(
        db, settings, host, document, _value(variables, world), compiled=True
    )
    assert took and errors and all(path[0] == "listing" for _, path in errors)
    assert body.startswith(b'{"data":{"listing":null,"listings":{"totalCount":')
