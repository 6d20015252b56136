"""A fast path in graphql-core's executor for plain scalar attributes.

graphql-core resolves every field the same way: build a ResolveInfo, call the resolver, then
complete the value, a few microseconds each. A page of 100 listings with 5 reservations each
has over 2,000 fields, most of them plain attributes such as `id` or `startDate`. For a field
with no resolver, no arguments, no permission classes or field extensions, whose type is a
scalar or an enum, this reads the attribute and serialises it directly; anything else, and any
value that does not serialise cleanly, takes graphql-core's normal path (so errors are the same).
"""

from collections.abc import Callable
from typing import Any

from graphql import GraphQLEnumType, GraphQLField, GraphQLNonNull, GraphQLScalarType, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_MISSING = object()
# Per GraphQL field: (python attribute, serialize, nullable), or None when not plain. Keyed by
# id() (fields are unhashable) with the field kept beside its plan, so a reused id never matches.
Plan = tuple[str, Callable[[Any], Any], bool] | None
_plans: dict[int, tuple[GraphQLField, Plan]] = {}


def _plan(field: GraphQLField) -> Plan:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        definition is None
        or definition.base_resolver is not None
        or definition.permission_classes
        or definition.extensions
        or field.args
    ):
        return None
    return_type, nullable = field.type, True
    if isinstance(return_type, GraphQLNonNull):
        return_type, nullable = return_type.of_type, False
    if not isinstance(return_type, GraphQLScalarType | GraphQLEnumType):
        return None
    return definition.python_name, return_type.serialize, nullable


def _plain_field(field: GraphQLField | None) -> Plan:
    if field is None:  # __typename
        return None
    known = _plans.get(id(field))
    if known is None or known[0] is not field:
        known = _plans[id(field)] = (field, _plan(field))
    return known[1]


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per selection set (graphql-core memoises them for the request): the plain plans of
        # all its fields, or None when any field needs the normal path.
        self._plain_objects: dict[int, tuple[Any, list[tuple[str, str, Any, bool]] | None]] = {}

    def collect_and_execute_subfields(
        self, return_type, field_details_list, path, result, position_context
    ):
        """An object whose selection is all plain scalars becomes its dict in one loop."""
        grouped, new_defer_usages, _forbidden = self.collect_subfields(
            return_type, field_details_list
        )
        if not new_defer_usages and not self._has_field_middleware():
            known = self._plain_objects.get(id(grouped))
            if known is None or known[0] is not grouped:
                known = self._plain_objects[id(grouped)] = (
                    grouped,
                    self._plain_object(return_type, grouped),
                )
            fields = known[1]
            if fields is not None:
                completed = _complete_plain(fields, result)
                if completed is not None:
                    return completed
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    @staticmethod
    def _plain_object(return_type, grouped) -> list[tuple[str, str, Any, bool]] | None:
        fields = []
        for response_name, field_details_list in grouped.items():
            node = field_details_list[0].node
            plan = _plain_field(return_type.fields.get(node.name.value))
            if plan is None or node.arguments:
                return None
            fields.append((response_name, *plan))
        return fields

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        node = field_details_list[0].node
        field = parent_type.fields.get(node.name.value)  # None for __typename
        if not node.arguments and not self._has_field_middleware():
            plan = _plain_field(field)
            if plan is not None:
                attribute, serialize, nullable = plan
                value = getattr(source, attribute, _MISSING)
                if value is None and nullable:
                    return None
                if value is not None and value is not _MISSING:
                    try:
                        serialized = serialize(value)
                    except Exception:
                        serialized = None
                    if serialized is not None and serialized is not Undefined:
                        return serialized
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _has_field_middleware(self) -> bool:
        manager = self.middleware_manager
        return bool(manager is not None and manager.middlewares)


def _complete_plain(fields: list[tuple[str, str, Any, bool]], source: Any) -> dict | None:
    """The object's dict, or None if any value needs the normal path (errors included)."""
    completed = {}
    for response_name, attribute, serialize, nullable in fields:
        value = getattr(source, attribute, _MISSING)
        if value is None and nullable:
            completed[response_name] = None
            continue
        if value is None or value is _MISSING:
            return None
        try:
            serialized = serialize(value)
        except Exception:
            return None
        if serialized is None or serialized is Undefined:
            return None
        completed[response_name] = serialized
    return completed
