"""Input-object field defaults in the per-operation variable coercer (graphql/engine/
variables.py), coerced once when the coercer is made: graphql-core's very object, and a
default that does not coerce still leaves the request to graphql-core."""

from graphql import (
    GraphQLArgument,
    GraphQLDefaultInput,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.utilities.coerce_input_value import coerce_default_value

from bookwell.graphql.engine.variables import VariableCoercer

LISTED = GraphQLInputField(GraphQLList(GraphQLInt), default=GraphQLDefaultInput([1, 2]))
BROKEN = GraphQLInputField(GraphQLInt, default=GraphQLDefaultInput("x"))
INPUT = GraphQLInputObjectType("In", {"listed": LISTED, "broken": BROKEN})
SCHEMA = GraphQLSchema(
    GraphQLObjectType("Query", {"f": GraphQLField(GraphQLInt, {"i": GraphQLArgument(INPUT)})})
)


def _coercer() -> tuple[VariableCoercer, OperationDefinitionNode]:
    operation = parse("query ($i: In) { f(i: $i) }").definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return VariableCoercer.of(SCHEMA, operation), operation


def test_a_field_default_is_graphql_cores_own_object() -> None:
    coerce, operation = _coercer()
    ours = coerce({"i": {"broken": 3}})
    theirs = get_variable_values(SCHEMA, operation.variable_definitions, {"i": {"broken": 3}})
    assert isinstance(ours, VariableValues) and isinstance(theirs, VariableValues)
    assert ours.coerced == theirs.coerced == {"i": {"listed": [1, 2], "broken": 3}}
    assert ours.coerced["i"]["listed"] is coerce_default_value(LISTED)


def test_a_default_that_does_not_coerce_is_left_to_graphql_core() -> None:
    coerce, _ = _coercer()
    assert coerce({"i": {"listed": [3]}}) is None
    assert coerce({"i": {"listed": [3], "broken": 4}}) is not None
