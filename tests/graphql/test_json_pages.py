"""Which selections PostgreSQL may write as JSON (graphql/engine/json_pages.py), and in what shape.
That the JSON equals what the object path answers is tests/graphql/test_execution_paths.py's job."""

from graphql import FieldNode, parse

from bookwell.core.json_rows import Constant
from bookwell.graphql.engine.json_pages import RESERVATION, field_nodes, json_shape


def _reservations(document: str) -> tuple[list[FieldNode] | None, dict]:
    parsed = parse(document)
    operation, *definitions = parsed.definitions
    fragments = {fragment.name.value: fragment for fragment in definitions}
    roots = [operation.selection_set.selections[0]]
    return field_nodes(roots, ("edges", "node", "reservations"), fragments), fragments


def _shape(selection: str, fragments: str = ""):
    nodes, known = _reservations(
        f"{{ listings {{ edges {{ node {{ reservations {selection} }} }} }} }} {fragments}"
    )
    assert nodes is not None and len(nodes) == 1
    return json_shape(nodes[0], RESERVATION, known)


def test_columns_keep_their_response_names_in_document_order():
    shape = _shape(
        "{ __typename b: startDate id ...F totalPrice { currency amount } ... on Reservation "
        "{ id n: nights } }",
        "fragment F on Reservation { status }",
    )
    assert list(shape) == ["__typename", "b", "id", "status", "totalPrice", "n"]
    assert shape["__typename"] == Constant("Reservation")
    assert shape["b"] == "start_date"
    assert shape["totalPrice"] == {"currency": "currency", "amount": "total_amount"}


def test_timestamps_are_columns_written_as_isoformat_writes_them():
    assert _shape("{ id createdAt startsAt }") == {
        "id": "id",
        "createdAt": "created_at",
        "startsAt": "starts_at",
    }


def test_anything_postgresql_cannot_write_as_the_api_does_keeps_the_object_path():
    assert _shape("{ id listing { id } }") is None  # a resolver
    assert _shape("{ id status @include(if: false) }") is None  # a directive
    assert _shape("{ id ... @skip(if: true) { status } }") is None
    assert _shape("{ totalPrice { amount } totalPrice { currency } }") is None  # to merge
    assert _shape("{ id a: id a: status }") is None  # invalid, but never guessed at
    assert _shape("{ id ...F }", "fragment F on Reservation @skip(if: true) { status }") is None
    assert _shape("{ %s: id }" % ("a" * 64)) is None  # PostgreSQL would cut the label at 63
    assert _shape("{ %s: id }" % ("a" * 63)) is not None


def test_the_node_is_found_only_when_no_directive_may_hide_it():
    nodes, _ = _reservations(
        "{ listings { edges { node { a: reservations { id } b: reservations { id } } } } }"
    )
    assert nodes is not None and len(nodes) == 2
    nodes, _ = _reservations(
        "{ listings { edges { node @include(if: true) { reservations { id } } } } }"
    )
    assert nodes is None
    nodes, _ = _reservations(
        "{ listings { edges { ...E } } } fragment E on ListingEdge { node { reservations { id } } }"
    )
    assert nodes is not None and len(nodes) == 1


def test_every_field_postgresql_may_write_is_a_field_of_its_type_in_the_schema():
    from bookwell.graphql.engine.json_pages import RESERVATION_EDGE, Vocabulary
    from bookwell.graphql.schema import build_schema

    types = build_schema()._schema.type_map

    def check(vocabulary: Vocabulary) -> None:
        fields = types[vocabulary.type_name].fields
        for name, value in vocabulary.fields.items():
            assert name in fields, f"{vocabulary.type_name}.{name}"
            if isinstance(value, Vocabulary):
                check(value)

    check(RESERVATION_EDGE)
