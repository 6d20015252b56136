"""The compiled plans' argument readers (graphql/engine/compiler/arguments.py) give exactly
graphql-core's get_argument_values, or leave it to answer (and raise its errors)."""

from typing import Any

from graphql import (
    FieldNode,
    GraphQLObjectType,
    OperationDefinitionNode,
    get_named_type,
    parse,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.scenarios import AVAILABILITY, NESTED, SEARCH
from bookwell.graphql.engine.compiler.arguments import read_arguments
from bookwell.graphql.schema import schema as strawberry_schema

SCHEMA = strawberry_schema._schema


def _operation(text: str) -> OperationDefinitionNode:
    operation = parse(text).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation


def _fields(selection_set: Any, parent: GraphQLObjectType) -> list[tuple[Any, FieldNode]]:
    found = []
    for node in selection_set.selections:
        assert isinstance(node, FieldNode)
        if node.name.value == "__typename":
            continue
        definition = parent.fields[node.name.value]
        found.append((definition, node))
        named = get_named_type(definition.type)
        if node.selection_set and isinstance(named, GraphQLObjectType):
            found += _fields(node.selection_set, named)
    return found


ARGUMENT_DOCUMENTS = [
    SEARCH,
    AVAILABILITY,
    NESTED,
    "query ($first: Int, $kind: ListingKind) { listings(first: $first) { edges { node { id } } }"
    ' a: searchAvailability(startDate: "2027-03-01", nights: 2, first: 5,'
    " filter: {kind: $kind}) { edges { node { id } } } }",
    "query ($id: ID!) { listing(id: $id) { reservations(first: 5, after: null) { edges { node {"
    " id } } } } }",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.sampled_from(ARGUMENT_DOCUMENTS),
    inputs=st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(st.none(), values)
            for name, values in {
                "start": st.just("2027-03-01"),
                "nights": st.integers(1, 5),
                "filter": st.just({"city": "Lyon"}),
                "listingId": st.just("TGlzdGluZzox"),
                "end": st.just("2027-03-05"),
                "after": st.just("YXJyYXljb25uZWN0aW9uOjE="),
                "first": st.integers(1, 100),
                "kind": st.just("STAY"),
                "id": st.just("TGlzdGluZzox"),
            }.items()
        },
    ),
)
def test_compiled_arguments_are_graphql_cores(text: str, inputs: dict[str, Any]) -> None:
    operation = _operation(text)
    variables = get_variable_values(SCHEMA, operation.variable_definitions or (), inputs)
    if not isinstance(variables, VariableValues):
        return
    assert SCHEMA.query_type is not None
    for definition, node in _fields(operation.selection_set, SCHEMA.query_type):
        ours = read_arguments(definition, node, variables.coerced)
        try:
            theirs = get_argument_values(definition, node, variables)
        except Exception:
            assert ours is None
            continue
        if ours is not None:
            assert ours == theirs
            assert list(ours) == list(theirs)
            assert all(ours[name] is theirs[name] for name in ours if isinstance(ours[name], dict))


def test_compiled_arguments_take_the_short_way() -> None:
    operation = _operation(SEARCH)
    inputs = {"start": "2027-03-01", "nights": 2, "filter": {"city": "Lyon"}}
    variables = get_variable_values(SCHEMA, operation.variable_definitions or (), inputs)
    assert isinstance(variables, VariableValues) and SCHEMA.query_type is not None
    definition, node = _fields(operation.selection_set, SCHEMA.query_type)[0]
    assert read_arguments(definition, node, variables.coerced) == get_argument_values(
        definition, node, variables
    )
    assert read_arguments(definition, node, variables.coerced) is not None
