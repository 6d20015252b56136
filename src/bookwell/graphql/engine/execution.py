"""Fast paths in graphql-core's executor: plain scalar attributes, and prefetched objects.

graphql-core resolves every field the same way: build a ResolveInfo, call the resolver, then
complete the value, a few microseconds each. A page of 100 listings with 5 reservations each
has over 2,000 fields, most of them plain attributes such as `id` or `startDate`. For a field
with no resolver, no arguments, no permission classes or field extensions, whose type is a
scalar or an enum, this reads the attribute and serialises it directly; anything else, and any
value that does not serialise cleanly, takes graphql-core's normal path (so errors are the same).

A field declared with `prefetched_as(key)` (Listing.owner, Listing.reservations, ...) whose value
the parent's connection already loaded (graphql/listings/prefetch.py) is completed from that value
without calling its resolver: Strawberry's argument conversion and resolver wrapping cost
tens of microseconds a field, more than the rest of a nested object. Its arguments are read
by graphql-core; when they do not give a key, or nothing is stored under it, the resolver runs.
"""

import logging
from collections.abc import Callable, Hashable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
)
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from bookwell.graphql.engine import plain_tree as tree
from bookwell.graphql.engine.compiler.run import Bound, answer, bound_read
from bookwell.graphql.engine.json_pages import Prebuilt
from bookwell.graphql.engine.prepared import build_prepared
from bookwell.graphql.engine.shared_trees import SHARED_NOT, SIZE, UNKNOWN, SharedTrees

log = logging.getLogger("bookwell.errors")

PREFETCHED = "bookwell.prefetched"

PrefetchKey = Callable[[dict[str, Any]], Hashable]


def prefetched_as(key: PrefetchKey) -> dict[str, PrefetchKey]:
    """Field metadata: where, in the parent's `prefetched` dict, the value for these arguments
    (GraphQL names, parsed) is kept. The resolver must answer the same from there."""
    return {PREFETCHED: key}


def _prefetch_key(field: GraphQLField | None) -> PrefetchKey | None:
    if field is None:
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or definition.permission_classes or definition.extensions:
        return None
    return (definition.metadata or {}).get(PREFETCHED)


_MISSING = object()
# Per GraphQL field: (python attribute, serialize, nullable), or None when not plain. Keyed by
# id() (fields are unhashable) with the field kept beside its plan, so a reused id never matches.
Plan = tuple[str, Callable[[Any], Any], bool] | None
_plans: dict[int, tuple[GraphQLField, Plan]] = {}
# Per object type and field nodes, across requests: how to complete it in one pass.
trees = SharedTrees(SIZE)


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


def _one_node(details_list) -> FieldNode | None:
    return details_list[0].node if len(details_list) == 1 else None


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # graphql-core's "Did you mean ...?" in variable and argument errors (schema.py picks
    # HiddenSuggestions in production).
    suggestions = True

    @classmethod
    def build(cls, schema: GraphQLSchema, document: DocumentNode, *args: Any, **kwargs: Any) -> Any:
        """Every execution and subscription is built here (Strawberry passes this class):
        the one place to drop the hints whatever path the operation came by."""
        if not cls.suggestions:
            kwargs["hide_suggestions"] = True
        built = build_prepared(cls, schema, document, args, kwargs)
        return built if built is not None else super().build(schema, document, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per selection set (graphql-core memoises them for the request): how to complete an
        # object of it in one pass (graphql/engine/plain_tree.py), or None when it is not plain.
        self._trees: dict[int, tuple[Any, list[tree.Entry] | None]] = {}
        # The root fields' values that a compiled statement answered (execute_operation).
        self._answered: dict[str, Any] | None = None
        after_answer = getattr(self.context_value, "after_answer", None)
        if after_answer is not None:
            after_answer(self.release)

    def execute_operation(self, serially: bool | None = None) -> Any:
        """A query's roots that the compiler covers are answered by one SQL statement
        (graphql/engine/compiler/), the others by graphql-core's executor; anything that
        goes wrong with the statement leaves them all to the executor."""
        bound = bound_read(
            self.schema, self.operation, self.fragments, self.variable_values, self.context_value
        )
        if bound is None:
            return super().execute_operation(serially)
        return self._compiled(bound, serially)

    async def _compiled(self, bound: Bound, serially: bool | None) -> Any:
        try:
            answered = await answer(bound)
        except Exception:
            # The ordinary path meets the same trouble (a database down) and reports it its
            # way; anything else is the compiler's mistake, worth knowing of.
            log.warning("compiled read failed; answered by the executor", exc_info=True)
            answered = None
        if answered is not None and answered.whole:
            return self.build_response(answered.data)
        self._answered = answered.data if answered is not None else None
        result = super().execute_operation(serially)
        return await result if self.is_awaitable(result) else result

    def execute_collected_root_fields(
        self, root_type, root_value, grouped_field_set, serially, new_defer_usages
    ):
        """The roots the statement did not answer, by graphql-core, merged with those it
        did in the document's order (a root's error nulls what it would have nulled)."""
        answered = self._answered
        if not answered:
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )
        rest = {
            name: details for name, details in grouped_field_set.items() if name not in answered
        }
        result = super().execute_collected_root_fields(
            root_type, root_value, rest, serially, new_defer_usages
        )
        order = list(grouped_field_set)

        def merged(executed: dict[str, Any]) -> dict[str, Any]:
            return {
                name: answered[name] if name in answered else executed[name]
                for name in order
                if name in answered or name in executed
            }

        if not self.is_awaitable(result):
            return merged(result)

        async def merge_when_done() -> dict[str, Any]:
            return merged(await result)

        return merge_when_done()

    def release(self) -> None:
        """Once the answer is sent (Context.release). graphql-core's executor points at
        itself (`async_helpers` holds two of its bound methods), so it and everything it
        holds (the request's context, variables, collected fields, the plans above: about
        200 objects for a search) would wait for the cyclic collector; cut, they go at once."""
        del self.async_helpers
        self._trees.clear()

    def collect_and_execute_subfields(
        self, return_type, field_details_list, path, result, position_context
    ):
        """An object whose whole selection is plain becomes its dict in one pass."""
        if not self._has_field_middleware():
            entries = self._tree_of(return_type, field_details_list)
            if entries is not None:
                completed = tree.complete_tree(entries, result)
                if completed is not None:
                    return completed
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def _tree_of(self, object_type, field_details_list) -> list[tree.Entry] | None:
        shared = trees.get(object_type, field_details_list)
        if shared is not UNKNOWN and shared is not SHARED_NOT:
            return shared  # type: ignore[no-any-return]
        grouped, new_defer_usages, _forbidden = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        known = self._trees.get(id(grouped))
        if known is None or known[0] is not grouped:
            known = self._trees[id(grouped)] = (grouped, self._plain_entries(object_type, grouped))
        if shared is UNKNOWN:
            trees.put(object_type, field_details_list, self.fragments, known[1])
        return known[1]

    def _plain_entries(self, object_type, grouped) -> list[tree.Entry] | None:
        entries: list[tree.Entry] = []
        for response_name, details_list in grouped.items():
            field = object_type.fields.get(details_list[0].node.name.value)  # None: __typename
            if field is None:
                return None
            fetch = self._fetcher(field, details_list)
            if fetch is None:
                return None
            finish = self._finisher(field.type, details_list)
            if finish is None:
                return None
            entries.append((response_name, fetch, finish))
        return entries

    def _fetcher(self, field: GraphQLField, details_list) -> tree.Fetch | None:
        definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None or definition.permission_classes or definition.extensions:
            return None
        key_of = (definition.metadata or {}).get(PREFETCHED)
        attribute = definition.base_resolver is None and not field.args
        if key_of is None:
            return tree.attribute(definition.python_name) if attribute else None
        try:
            key = key_of(self._arguments(field, details_list))
        except Exception:
            return None  # the resolver reports bad arguments itself
        # An attribute may be prefetched too (a connection's edges written as JSON).
        otherwise = definition.python_name if attribute else None
        return tree.prefetched_value(key, _one_node(details_list), otherwise)

    def _finisher(self, graphql_type, details_list) -> tree.Finish | None:
        nullable = not isinstance(graphql_type, GraphQLNonNull)
        if not nullable:
            graphql_type = graphql_type.of_type
        if isinstance(graphql_type, GraphQLEnumType):
            return tree.enum(graphql_type.serialize, nullable)
        if isinstance(graphql_type, GraphQLScalarType):
            return tree.scalar(graphql_type.serialize, nullable)
        if isinstance(graphql_type, GraphQLList):
            item = self._finisher(graphql_type.of_type, details_list)
            return None if item is None else tree.list_of(item, nullable)
        if isinstance(graphql_type, GraphQLObjectType):
            entries = self._tree_of(graphql_type, details_list)
            if entries is None:
                return None
            return tree.object_of(entries, nullable, graphql_type.is_type_of)
        return None  # interfaces and unions: graphql-core resolves the type

    def _arguments(self, field: GraphQLField, details_list) -> dict[str, Any]:
        details = details_list[0]
        return get_argument_values(
            field,
            details.node,
            self.variable_values,
            details.fragment_variable_values,
            self.hide_suggestions,
        )

    def execute_field(self, parent_type, source, field_details_list, path, position_context):
        node = field_details_list[0].node
        field = parent_type.fields.get(node.name.value)  # None for __typename
        store = getattr(source, "prefetched", None)
        if store:
            value = self._prefetched_value(field, field_details_list, store)
            if isinstance(value, Prebuilt):
                # Even under field middleware (Sentry's Strawberry integration): a
                # connection whose edges were written as JSON has no edges to iterate.
                if value.node is _one_node(field_details_list):
                    return value.json
                value = _MISSING  # built for another node: the resolver loads its own
            if value is not _MISSING and not self._has_field_middleware():
                return self._complete_prefetched(
                    parent_type, field, field_details_list, path, value, position_context
                )
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

    def _prefetched_value(self, field, field_details_list, store: dict) -> Any:
        key_of = _prefetch_key(field)
        if key_of is None:
            return _MISSING
        try:
            key = key_of(self._arguments(field, field_details_list))
        except Exception:
            return _MISSING  # the resolver reports bad arguments itself
        return store.get(key, _MISSING)

    def _complete_prefetched(
        self, parent_type, field, field_details_list, path, value, position_context
    ):
        """graphql-core's execute_field after its resolver call, for a value already known."""
        info = self.build_resolve_info(field, to_nodes(field_details_list), parent_type, path)
        try:
            completed = self.complete_value(
                field.type, field_details_list, info, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._await_completed(completed, field.type, field_details_list, path)
        return completed

    async def _await_completed(self, completed, return_type, field_details_list, path):
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _has_field_middleware(self) -> bool:
        manager = self.middleware_manager
        return bool(manager is not None and manager.middlewares)


class HiddenSuggestions(ExecutionContext):
    suggestions = False
