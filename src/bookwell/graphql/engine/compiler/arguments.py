"""A compiled field's arguments read without graphql-core's get_argument_values.

get_argument_values looks at each argument's node on every request. In a compiled plan the
field and its node are fixed, so this decides once, per argument: absent (its default, as
graphql-core coerces and keeps it on the argument), a scalar or enum literal (its coerced
value), or a bare variable (the coerced variable, or the default when the variable was not
given). Lists and objects written in the document, and anything that raises, are left to
get_argument_values; so is any request whose variable would make it raise (a null or missing
variable for a non-null argument), which then reports the error its way.
"""

from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    GraphQLArgument,
    GraphQLField,
    GraphQLNonNull,
    ListValueNode,
    ObjectValueNode,
    Undefined,
    VariableNode,
)
from graphql.utilities.coerce_input_value import coerce_default_value, coerce_input_literal

# (the request's coerced variables, the arguments so far) -> False when get_argument_values
# must answer instead.
Read = Callable[[dict[str, Any], dict[str, Any]], bool]

CACHE_SIZE = 1024
_readers: dict[tuple[int, int], "Arguments"] = {}


class Arguments:
    """read_arguments for one field and node, its readers made once (a compiled part keeps
    one, so a request neither looks them up nor walks the node)."""

    __slots__ = ("definition", "node", "readers")

    def __init__(self, definition: GraphQLField, node: FieldNode):
        self.definition = definition
        self.node = node
        self.readers = _plan(definition, node)

    def read(self, coerced: dict[str, Any]) -> dict[str, Any] | None:
        readers = self.readers
        if readers is None:
            return None
        arguments: dict[str, Any] = {}
        for read in readers:
            if not read(coerced, arguments):
                return None
        return arguments


def read_arguments(
    definition: GraphQLField, node: FieldNode, coerced: dict[str, Any]
) -> dict[str, Any] | None:
    """get_argument_values(definition, node, variables) for variables whose coerced values
    are `coerced`, or None when it must be asked."""
    key = (id(definition), id(node))
    known = _readers.get(key)
    if known is None or known.definition is not definition or known.node is not node:
        if len(_readers) >= CACHE_SIZE:
            _readers.clear()
        known = _readers[key] = Arguments(definition, node)
    return known.read(coerced)


def _plan(definition: GraphQLField, node: FieldNode) -> list[Read] | None:
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    readers: list[Read] = []
    for name, argument in definition.args.items():
        out_name = argument.out_name or name
        try:
            # What maybe_use_default_value puts in (Undefined: nothing): memoised on the
            # argument by graphql-core, so the very object it would use.
            default = coerce_default_value(argument)
        except Exception:
            return None
        value_node = given.get(name)
        if value_node is None:
            if _required(argument):
                return None
            readers.append(_constant(out_name, default))
        elif isinstance(value_node, VariableNode):
            readers.append(_variable(out_name, value_node.name.value, argument, default))
        elif isinstance(value_node, ListValueNode | ObjectValueNode):
            return None  # (their coerced values are new lists and dicts each time)
        else:
            try:
                value = coerce_input_literal(value_node, argument.type)
            except Exception:
                return None
            if value is Undefined:
                return None
            readers.append(_constant(out_name, value))
    return readers


def _required(argument: GraphQLArgument) -> bool:
    return (
        isinstance(argument.type, GraphQLNonNull)
        and argument.default is None
        and argument.default_value is Undefined
    )


def _constant(out_name: str, value: Any) -> Read:
    if value is Undefined:
        return lambda coerced, arguments: True

    def constant(coerced: dict[str, Any], arguments: dict[str, Any]) -> bool:
        arguments[out_name] = value
        return True

    return constant


def _variable(out_name: str, variable: str, argument: GraphQLArgument, default: Any) -> Read:
    required = _required(argument)
    non_null = isinstance(argument.type, GraphQLNonNull)

    def from_variable(coerced: dict[str, Any], arguments: dict[str, Any]) -> bool:
        value = coerced.get(variable, Undefined)
        if value is Undefined:
            if required:
                return False
            if default is not Undefined:
                arguments[out_name] = default
            return True
        if value is None and non_null:
            return False
        arguments[out_name] = value
        return True

    return from_variable
