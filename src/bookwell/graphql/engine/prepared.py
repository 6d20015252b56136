"""Executor.build for a document seen before: its operation and fragments found once.

graphql-core's Executor.build walks the document for the operation and its fragments, then
coerces the variables, on every request. For a document (the parse cache hands out the same
object for the same text) and operation name, this keeps what the walk found and a coercer
for the operation's variables (graphql/engine/variables.py), so a build only coerces. When
graphql-core would answer errors (no such operation, several without a name, fragments with
variables, variables that do not coerce) or is given a middleware list to wrap, it builds.
"""

from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    assert_valid_schema,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.executor import default_field_resolver, default_type_resolver
from graphql.execution.middleware import MiddlewareManager

from bookwell.graphql.engine.variables import VariableCoercer

# Documents and operation names kept; the parse cache (documents.py) holds about as many.
CACHE_SIZE = 512


class Prepared(NamedTuple):
    """What Executor.build finds in a document for an operation name."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragment_definitions: dict[str, FragmentDefinitionNode]
    fragments: dict[str, FragmentDetails]
    coerce: VariableCoercer


_prepared: dict[tuple[int, int, str | None], Prepared | None] = {}
_documents: dict[tuple[int, int, str | None], tuple[GraphQLSchema, DocumentNode]] = {}


def prepared(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Prepared | None:
    """None when build should run as graphql-core's: no such operation, an ambiguous
    document, fragments with variables (whose signatures build reports)."""
    key = (id(schema), id(document), operation_name)
    kept = _documents.get(key)
    if kept is not None and kept[0] is schema and kept[1] is document:
        return _prepared[key]
    if len(_documents) >= CACHE_SIZE:
        _documents.clear()
        _prepared.clear()
    found = _prepare(schema, document, operation_name)
    _documents[key] = (schema, document)
    _prepared[key] = found
    return found


def _prepare(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Prepared | None:
    """Executor.build's walk over the document, declining where it would answer errors."""
    operation: OperationDefinitionNode | None = None
    fragment_definitions: dict[str, FragmentDefinitionNode] = {}
    fragments: dict[str, FragmentDetails] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None:
                if operation:
                    return None
                operation = definition
            elif definition.name and definition.name.value == operation_name:
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None
            fragment_definitions[definition.name.value] = definition
            fragments[definition.name.value] = FragmentDetails(definition, None)
    if operation is None:
        return None
    coercer = VariableCoercer.of(schema, operation)
    return Prepared(document, operation, fragment_definitions, fragments, coercer)


def _build_arguments(  # Executor.build's parameters after the document
    root_value: Any = None,
    context_value: Any = None,
    raw_variable_values: dict[str, Any] | None = None,
    operation_name: str | None = None,
    field_resolver: Any = None,
    type_resolver: Any = None,
    subscribe_field_resolver: Any = None,
    max_coercion_errors: int = 50,
    enable_early_execution: bool = False,
    middleware: Any = None,
    is_awaitable: Any = None,
    is_async_iterable: Any = None,
    **rest: Any,
) -> dict[str, Any]:
    return locals()


def build_prepared(
    cls: Any, schema: GraphQLSchema, document: DocumentNode, args: tuple, kwargs: dict[str, Any]
) -> Any:
    """`cls(...)` as Executor.build(schema, document, *args, **kwargs) makes it, or None
    when graphql-core's own build must run."""
    given = _build_arguments(*args, **kwargs)
    middleware = given["middleware"]
    if middleware is not None and not isinstance(middleware, MiddlewareManager):
        return None
    found = prepared(schema, document, given["operation_name"])
    if found is None:
        return None
    variable_values = found.coerce(given["raw_variable_values"] or {})
    if variable_values is None:
        return None
    assert_valid_schema(schema)
    return cls(
        schema,
        dict(found.fragment_definitions),
        dict(found.fragments),
        given["root_value"],
        given["context_value"],
        found.operation,
        variable_values,
        given["field_resolver"] or default_field_resolver,
        given["type_resolver"] or default_type_resolver,
        given["subscribe_field_resolver"] or default_field_resolver,
        given["enable_early_execution"],
        middleware,
        given["is_awaitable"],
        given["is_async_iterable"],
        **given["rest"],
    )
