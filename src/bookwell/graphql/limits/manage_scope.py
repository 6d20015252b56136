"""What a manage link may do (issue 17.7): ONE allowlist for principals scoped to a
reservation (services/booking/manage_tokens.py), checked after validation and before any
resolver runs, over every root field of the operation (aliases and fragments included).

Allowed: public reads, reading its reservation (reservation, reservations, node, nodes:
reservations.visible_to shows that one only), and paying, changing, cancelling it and
revoking its links. Any other root field is FORBIDDEN; a reservation id argument that names
another reservation is NOT_FOUND, as if it did not exist. Nothing runs when one is refused."""

import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_variable_values,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from bookwell.core.ids import database_id_of

READS = frozenset(
    {
        "__typename",
        "node",
        "nodes",
        "listing",
        "listings",
        "availability",
        "searchAvailability",
        "searchSlots",
        "reservation",
        "reservations",
    }
)
# Each allowed mutation, and where its reservation id is among its arguments.
MUTATIONS: dict[str, tuple[str, ...]] = {
    "payReservation": ("id",),
    "cancelReservation": ("id",),
    "changeReservationDates": ("input", "id"),
    "revokeManageLink": ("id",),
}


def refusal(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    scope: uuid.UUID,
) -> GraphQLError | None:
    """Why a principal scoped to `scope` may not run this operation; None: it may."""
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return None  # no such operation: execution answers that itself
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    fields = list(_root_fields(operation.selection_set, fragments, frozenset()))
    kind = operation.operation
    if kind is OperationType.QUERY:
        allowed: frozenset[str] = READS
    elif kind is OperationType.MUTATION:
        allowed = frozenset(MUTATIONS) | {"__typename"}
    else:
        allowed = frozenset()
    for field in fields:
        if field.name.value not in allowed:
            return _error(
                "FORBIDDEN", f"A manage link cannot use {field.name.value}: sign in for that."
            )
    if kind is not OperationType.MUTATION:
        return None
    root = schema.mutation_type
    assert isinstance(root, GraphQLObjectType)
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {})
    )
    if not isinstance(coerced, VariableValues):
        return None  # wrong variables: execution refuses them itself, running nothing
    for field in fields:
        if (path := MUTATIONS.get(field.name.value)) is None:
            continue
        arguments = get_argument_values(root.fields[field.name.value], field, coerced)
        if _reservation_id(arguments, path) != scope:
            return _error("NOT_FOUND", "No reservation with that id.")
    return None


def _reservation_id(arguments: dict[str, Any], path: tuple[str, ...]) -> uuid.UUID | None:
    value: Any = arguments
    for name in path:
        value = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
    return database_id_of(value, "Reservation") if isinstance(value, str) else None


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> Iterator[FieldNode]:
    """Every root field, however deep in fragments (each fragment once per path)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in visiting:
                yield from _root_fields(fragments[name].selection_set, fragments, visiting | {name})


def _error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class ManageScope(SchemaExtension):
    """Refuses, before anything runs, what a manage link may not do (see the module)."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        scope = getattr(principal, "reservation_scope", None)
        document = context.graphql_document
        if scope is not None and document is not None:
            error = refusal(
                context.schema._schema,
                document,
                context.operation_name,
                context.variables,
                scope,
            )
            if error is not None:
                context.result = ExecutionResult(data=None, errors=[error])
        yield
