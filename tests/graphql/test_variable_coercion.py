"""The per-operation variable coercer (graphql/engine/variables.py) gives exactly graphql-core's
values, and leaves to graphql-core whatever it does not (so its errors stay its own)."""

import string
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    parse,
)
from graphql.execution.values import VariableValues, get_variable_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.scenarios import AVAILABILITY, BOOK, NESTED, SEARCH
from bookwell.graphql.engine.variables import VariableCoercer
from bookwell.graphql.schema import schema as strawberry_schema

SCHEMA = strawberry_schema._schema
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
    st.just([1, "a"]),
    st.just({"unknown": 1}),
)
SCALARS = {
    "Date": st.sampled_from(["2027-03-01", "2027-02-30", "2027-3-1", "x"]),
    "DateTime": st.sampled_from(["2027-03-01T10:00:00Z", "2027-03-01T10:00:00", "yesterday"]),
    "Time": st.sampled_from(["10:30", "10:30:00", "25:00"]),
    "Int": st.integers(min_value=-(2**32), max_value=2**32),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "String": st.text(string.printable, max_size=8),
    "Boolean": st.booleans(),
    "ID": st.one_of(st.text(max_size=8), st.integers()),
    "UUID": st.sampled_from(["6f1c1b8e-2b1a-4c8e-9a53-3c1f6f0b2a11", "not-a-uuid"]),
}

DEEP: Any = 1
for _ in range(90):
    DEEP = [DEEP]


def _values(type_: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly well-shaped values of the type, with junk anywhere."""
    if isinstance(type_, GraphQLNonNull):
        return _values(type_.of_type, depth)
    if isinstance(type_, GraphQLList):
        item = _values(type_.of_type, depth + 1)
        return st.one_of(st.lists(item, max_size=3), item, JUNK)
    if isinstance(type_, GraphQLEnumType):
        return st.one_of(st.sampled_from([*type_.values, "NOPE"]), JUNK)
    if isinstance(type_, GraphQLScalarType):
        return st.one_of(SCALARS.get(type_.name, JUNK), JUNK)
    assert isinstance(type_, GraphQLInputObjectType)
    if depth > 2:
        return JUNK
    fields = {name: _values(field.type, depth + 1) for name, field in type_.fields.items()}
    return st.one_of(
        st.fixed_dictionaries({}, optional=fields),
        st.fixed_dictionaries({}, optional={**fields, "extra": st.just(1)}),
        JUNK,
    )


def _operation(text: str) -> OperationDefinitionNode:
    operation = parse(text).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation


def _same_as_graphql_core(text: str, inputs: dict[str, Any]) -> VariableValues | None:
    operation = _operation(text)
    ours = VariableCoercer.of(SCHEMA, operation)(inputs)
    theirs = get_variable_values(SCHEMA, operation.variable_definitions or (), inputs)
    if ours is None:
        return None
    assert isinstance(theirs, VariableValues)
    assert ours.coerced == theirs.coerced
    assert [type(value) for value in ours.coerced.values()] == [
        type(value) for value in theirs.coerced.values()
    ]
    assert list(ours.sources) == list(theirs.sources)
    for name, source in ours.sources.items():
        other = theirs.sources[name]
        assert source.value == other.value
        assert source.signature.name == other.signature.name
        assert str(source.signature.type) == str(other.signature.type)
        assert (source.signature.default is None) == (other.signature.default is None)
    return ours


INPUT_TYPES = sorted(
    name
    for name, type_ in SCHEMA.type_map.items()
    if isinstance(type_, GraphQLInputObjectType | GraphQLScalarType | GraphQLEnumType)
    and not name.startswith("__")
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(INPUT_TYPES), wrap=st.sampled_from(range(6)))
def test_any_input_of_any_type_coerces_as_graphql_core_does(
    data: st.DataObject, name: str, wrap: int
) -> None:
    written = ["{}", "{}!", "[{}]", "[{}!]!", "[[{}]]", "{}"][wrap].format(name)
    default = " = null" if wrap == 5 else ""
    text = f"query ($v: {written}{default}, $w: Int = 3) {{ __typename }}"
    operation = _operation(text)
    type_ = VariableCoercer.of(SCHEMA, operation)._variables[0].signature.type  # type: ignore[index]
    inputs = data.draw(st.fixed_dictionaries({}, optional={"v": _values(type_), "w": JUNK}))
    _same_as_graphql_core(text, inputs)


@pytest.mark.parametrize(
    ("text", "inputs"),
    [
        (SEARCH, {"start": "2027-03-01", "nights": 2}),
        (SEARCH, {"start": "2027-03-01", "nights": 2, "filter": None}),
        (SEARCH, {"start": "2027-03-01", "nights": 2, "filter": {"city": "Lyon", "kind": "STAY"}}),
        (AVAILABILITY, {"listingId": "TGlzdGluZzox", "start": "2027-03-01", "end": "2027-03-04"}),
        (NESTED, {}),
        (NESTED, {"after": "YXJyYXljb25uZWN0aW9uOjE="}),
        (BOOK, {"input": {"listingId": "x", "startDate": "2027-03-01", "nights": 2}}),
        ('query ($n: Int = 5, $d: Date = "2027-01-01") { __typename }', {}),
        ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a", "b"]}),
    ],
)
def test_the_common_inputs_take_the_short_way(text: str, inputs: dict[str, Any]) -> None:
    assert _same_as_graphql_core(text, inputs) is not None


@pytest.mark.parametrize(
    ("text", "inputs"),
    [
        (SEARCH, {"nights": 2}),  # a required variable missing
        (SEARCH, {"start": None, "nights": 2}),
        (SEARCH, {"start": "2027-02-30", "nights": 2}),  # a scalar that raises
        (SEARCH, {"start": "2027-03-01", "nights": "2"}),
        (SEARCH, {"start": "2027-03-01", "nights": 2, "filter": {"town": "Lyon"}}),
        (SEARCH, {"start": "2027-03-01", "nights": 2, "filter": {"kind": "CASTLE"}}),
        (BOOK, {"input": {"startDate": "2027-03-01"}}),  # a required field missing
        ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": "a"}),  # a list of one
        ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ("a",)}),
        ("query ($v: " + "[" * 40 + "Int" + "]" * 40 + ") { __typename }", {"v": 1}),
        ("query ($v: " + "[" * 90 + "Int" + "]" * 90 + ") { __typename }", {"v": DEEP}),
        ("query ($v: Nope) { __typename }", {"v": 1}),  # no such type
        ("query ($v: Listing) { __typename }", {"v": 1}),  # not an input type
    ],
)
def test_anything_else_is_left_to_graphql_core(text: str, inputs: dict[str, Any]) -> None:
    operation = _operation(text)
    assert VariableCoercer.of(SCHEMA, operation)(inputs) is None
