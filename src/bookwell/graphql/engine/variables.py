"""An operation's variables coerced by code made once per operation.

graphql-core coerces every request's variables by walking the types generically: it resolves
each variable's type from the document (type_from_ast), checks the input's nesting depth, then
dispatches on the type at each level; a search spends about a tenth of its request there. Here
each operation's variables get a coercer composed of one small function per type, which
returns the same VariableValues for the common inputs: named scalars and enums, input objects,
lists, null, defaults. Anything else (a wrong or missing value, a scalar that raises, a
non-list for a list, deep nesting, a oneOf input, a broken default) makes it answer None, and
the caller lets graphql-core coerce the variables, so every error is graphql-core's own.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
)
from graphql.execution.get_variable_signature import (
    GraphQLVariableSignature,
    get_variable_signature,
)
from graphql.execution.values import VariableValues, VariableValueSource
from graphql.utilities.coerce_input_value import coerce_default_value, coerce_input_literal

# Deeper inputs are left to graphql-core, which refuses them past its own limit (200).
MAX_DEPTH = 32

# A field default that does not coerce: graphql-core's to report, whenever it is needed.
_BROKEN = object()

# A value and its depth -> the coerced value, or Undefined when graphql-core must decide.
Coerce = Callable[[Any, int], Any]


def _coercer(type_: GraphQLInputType, known: dict[str, Coerce]) -> Coerce | None:
    if isinstance(type_, GraphQLNonNull):
        inner = _coercer(type_.of_type, known)
        if inner is None:
            return None

        def non_null(value: Any, depth: int) -> Any:
            return Undefined if value is None else inner(value, depth)

        return non_null
    if isinstance(type_, GraphQLList):
        return _list_coercer(type_, known)
    if isinstance(type_, GraphQLInputObjectType):
        return _object_coercer(type_, known)
    if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
        return _leaf_coercer(type_)
    return None


def _leaf_coercer(type_: GraphQLScalarType | GraphQLEnumType) -> Coerce:
    coerce = type_.coerce_input_value

    def leaf(value: Any, depth: int) -> Any:
        if value is None:
            return None
        try:
            return coerce(value)
        except Exception:
            return Undefined

    return leaf


def _list_coercer(type_: GraphQLList, known: dict[str, Coerce]) -> Coerce | None:
    item = _coercer(type_.of_type, known)
    if item is None:
        return None

    def list_of(value: Any, depth: int) -> Any:
        if value is None:
            return None
        # graphql-core takes any iterable, and a single value as a list of one.
        if type(value) is not list or depth >= MAX_DEPTH:
            return Undefined
        coerced = []
        for each in value:
            each = item(each, depth + 1)
            if each is Undefined:
                return Undefined
            coerced.append(each)
        return coerced

    return list_of


def _object_coercer(type_: GraphQLInputObjectType, known: dict[str, Coerce]) -> Coerce | None:
    if type_.name in known:  # a recursive input type
        return known[type_.name]
    if type_.is_one_of:
        return None
    # (name, key in the coerced dict, coerce, required, its default): filled after `known`
    # has this type, so its fields may refer to it.
    fields: list[tuple[str, str, Coerce, bool, Any]] = []
    out_type = type_.out_type

    def input_object(value: Any, depth: int) -> Any:
        if value is None:
            return None
        if type(value) is not dict or depth >= MAX_DEPTH:
            return Undefined
        if any(name not in type_.fields for name in value):
            return Undefined
        coerced: dict[str, Any] = {}
        for name, out_name, coerce, required, default in fields:
            given = value.get(name, Undefined)
            if given is Undefined:
                if required or default is _BROKEN:
                    return Undefined
                if default is not Undefined:
                    coerced[out_name] = default
                continue
            given = coerce(given, depth + 1)
            if given is Undefined:
                return Undefined
            coerced[out_name] = given
        return out_type(coerced)

    known[type_.name] = input_object
    for name, field in type_.fields.items():
        coerce = _coercer(field.type, known)
        if coerce is None:
            del known[type_.name]
            return None
        required = isinstance(field.type, GraphQLNonNull) and field.default is None
        required = required and field.default_value is Undefined
        try:
            # graphql-core memoises it on the field: the very object it would put in.
            default = coerce_default_value(field)
        except Exception:
            default = _BROKEN
        fields.append((name, field.out_name or name, coerce, required, default))
    return input_object


class _Variable(NamedTuple):
    name: str
    signature: GraphQLVariableSignature
    coerce: Coerce
    non_null: bool


class VariableCoercer:
    """graphql-core's coerce_variable_values for one operation's variable definitions, for
    the inputs it coerces without error; None for any other."""

    def __init__(self, variables: list[_Variable] | None):
        self._variables = variables  # None: a type it does not know, always graphql-core's

    @classmethod
    def of(cls, schema: GraphQLSchema, operation: OperationDefinitionNode) -> "VariableCoercer":
        variables: list[_Variable] = []
        known: dict[str, Coerce] = {}
        for definition in operation.variable_definitions or ():
            signature = get_variable_signature(schema, definition)
            if not isinstance(signature, GraphQLVariableSignature):
                return cls(None)
            coerce = _coercer(signature.type, known)
            if coerce is None:
                return cls(None)
            non_null = isinstance(signature.type, GraphQLNonNull)
            variables.append(_Variable(signature.name, signature, coerce, non_null))
        return cls(variables)

    def __call__(self, inputs: dict[str, Any]) -> VariableValues | None:
        if self._variables is None or type(inputs) is not dict:
            return None
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        for name, signature, coerce, non_null in self._variables:
            value = inputs.get(name, Undefined)
            if value is Undefined:
                sources[name] = VariableValueSource(signature)
                if signature.default is not None:
                    # Coerced anew, as graphql-core does (its signatures are made per request).
                    literal = signature.default.literal
                    try:
                        value = (
                            Undefined
                            if literal is None
                            else coerce_input_literal(literal, signature.type)
                        )
                    except Exception:
                        return None
                    if value is Undefined:
                        return None
                    coerced[name] = value
                    continue
                if non_null:
                    return None
                continue
            sources[name] = VariableValueSource(signature, value)
            value = coerce(value, 0)
            if value is Undefined:
                return None
            coerced[name] = value
        return VariableValues(sources, coerced)
