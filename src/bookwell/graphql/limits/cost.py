"""Query cost: how many objects an operation can resolve, refused before any resolver runs
when that exceeds the limit.

Cost of a field: 0 for scalars and enums; for an object, its size times (its weight + the
cost of its selections). The size is 1 for a single object; for a connection's `edges`,
the connection's `first` or `last` (its default page when neither is given); for a list, its
own `first` (bookableUnits), the size it declares (`costs(size=...)`), the size its parent
object declares from its arguments (`costs(items=...)`: an availability's nights), or the
length of its list argument (`nodes(ids:)`), else `UNPAGED_LIST_SIZE`. The weight is 1, or
what the field declares in its metadata (`costs(weight=...)`), possibly from its arguments:
a 365-night quote costs as much as 365 objects. Fields skipped by @skip/@include do not count.
Introspection fields are free (the schema is small and static; depth and introspection have
their own switches).

Checked at validation and again per request with its variables (limits/cost_checks.py).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast,
)
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.schema.schema_converter import GraphQLCoreConverter

from bookwell.core.ids import MAX_NODES
from bookwell.core.pagination import (
    DEFAULT_NESTED_RESERVATIONS,
    DEFAULT_NESTED_REVIEWS,
    DEFAULT_PAGE_SIZE,
    MAX_NESTED_RESERVATIONS,
    MAX_PAGE_SIZE,
)

PAGE_ARGUMENTS = ("first", "last")
UNKNOWN_PAGE_SIZE = MAX_PAGE_SIZE
NOT_GIVEN = object()
# Fields whose largest or default page is not MAX_PAGE_SIZE or DEFAULT_PAGE_SIZE.
LARGEST_PAGES = {("Listing", "reservations"): MAX_NESTED_RESERVATIONS}
# Lists as long as one of their arguments, with the most that argument may hold.
LIST_ARGUMENTS = {("Query", "nodes"): ("ids", MAX_NODES)}
DEFAULT_PAGES = {
    ("Listing", "reservations"): DEFAULT_NESTED_RESERVATIONS,
    ("Listing", "reviews"): DEFAULT_NESTED_REVIEWS,
}
UNPAGED_LIST_SIZE = 10
CODE = "QUERY_TOO_COSTLY"
COSTS = "bookwell.cost"
GRAPHQL_INT_MAX = 2**31 - 1
JSON_SAFE_INTEGER = 2**53 - 1
MAX_NIGHTS = 366

# A field's weight from its arguments (GraphQL names, coerced; at validation only those
# the text gives, so it must answer its cheapest for what is missing).
Weight = Callable[[dict[str, Any]], int]


@dataclass(frozen=True, slots=True)
class Costs:
    weight: int | Weight = 1
    size: int | None = None  # lists: how many items they may hold, when no argument says
    default_page: int | None = None  # lists paged by `first`: their default and largest
    largest_page: int | None = None
    # A single object whose lists are as long as its arguments say (Availability.nights:
    # its field's [startDate, endDate)); they take it as their size.
    items: Weight | None = None


def costs(
    weight: int | Weight = 1,
    size: int | None = None,
    default_page: int | None = None,
    largest_page: int | None = None,
    items: Weight | None = None,
) -> dict[str, Costs]:
    """Field metadata: what one object of this field costs (`weight`, as many objects as
    the work it takes), for a list how long it may be, and for a single object how long
    the lists below it are (`items`)."""
    return {COSTS: Costs(weight, size, default_page, largest_page, items)}


def stay_nights(arguments: dict[str, Any]) -> int:
    """The nights a field's arguments ask about (`nights`, or [startDate, endDate)), 1 to
    366; 1 when they do not say (the cheapest)."""
    nights = arguments.get("nights")
    start, end = arguments.get("startDate"), arguments.get("endDate")
    if not isinstance(nights, int) and isinstance(start, date) and isinstance(end, date):
        nights = (end - start).days
    return min(max(nights, 1), MAX_NIGHTS) if isinstance(nights, int) else 1


class _FromArguments(int):
    """A page a single object's arguments set (`costs(items=...)`)."""


def _declared(field: GraphQLField) -> Costs | None:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata = getattr(definition, "metadata", None) or {}
    found = metadata.get(COSTS)
    return found if isinstance(found, Costs) else None


def is_list(field: GraphQLField) -> bool:
    kind = field.type
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


class CostEstimator:
    """Walks one operation's selections against the schema (fragments included).
    `variables`: the request's coerced values; None at validation (each at its cheapest)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues | None,
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        # Without variables: whether what they hold could have changed the cost (a variable
        # page, list or condition, or a weight or page computed from arguments).
        self.depends_on_variables = False
        # Each fragment is costed once per page it is spread under: a fragment spread
        # twice in a fragment spread twice ... must not take exponential time.
        self.fragment_costs: dict[tuple[str, int | None, type], int] = {}

    def operation_cost(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        cost = self.selection_cost(operation.selection_set, root, page=None, visiting=())
        return min(cost, JSON_SAFE_INTEGER)  # absurd page sizes multiply past 64 bits

    def selection_cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLObjectType,
        page: int | None,
        visiting: tuple[str, ...],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if not self._included(selection.directives or ()):
                continue
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, page, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selection_cost(
                    selection.selection_set,
                    self._condition(selection.type_condition, parent),
                    page,
                    visiting,
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in visiting:  # other rules report these
                    continue
                key = (name, page, type(page))
                if key not in self.fragment_costs:
                    self.fragment_costs[key] = self.selection_cost(
                        fragment.selection_set,
                        self._condition(fragment.type_condition, parent),
                        page,
                        (*visiting, name),
                    )
                total += self.fragment_costs[key]
        return total

    def field_cost(
        self,
        node: FieldNode,
        parent: GraphQLObjectType,
        page: int | None,
        visiting: tuple[str, ...],
    ) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None) or {}
        field = fields.get(name)
        if name.startswith("__") or field is None:
            return 0
        named = get_named_type(field.type)
        declared = _declared(field)
        if is_leaf_type(named) and declared is None:
            return 0
        key = (parent.name, name)
        largest = LARGEST_PAGES.get(key) or (declared.largest_page if declared else None)
        default = DEFAULT_PAGES.get(key) or (declared.default_page if declared else None)
        own_page = self._page_size(node, field, largest, default or DEFAULT_PAGE_SIZE)
        if is_list(field):
            size = (
                own_page
                or (declared.size if declared else None)
                or page
                or self._listed(node, key)
                or UNPAGED_LIST_SIZE
            )
            if size is page and isinstance(page, _FromArguments):
                self.depends_on_variables = True
            child_page = None
        else:
            size = 1
            child_page = own_page  # a connection: its `edges` list is `first` long
            if declared is not None and declared.items is not None:
                items = max(declared.items(self._arguments(field, node)), 1)
                child_page = _FromArguments(items)
        children = self.selection_cost(node.selection_set, named, child_page, visiting)
        return size * (self._weight(declared, field, node) + children)

    def _weight(self, declared: Costs | None, field: GraphQLField, node: FieldNode) -> int:
        if declared is None:
            return 1
        if isinstance(declared.weight, int):
            return declared.weight
        self.depends_on_variables = True
        return max(declared.weight(self._arguments(field, node)), 1)

    def _arguments(self, field: GraphQLField, node: FieldNode) -> dict[str, Any]:
        if self.variables is not None:
            try:
                return get_argument_values(field, node, self.variables)
            except GraphQLError:  # execution reports it
                return {}
        given = {}  # at validation: the literal arguments
        for argument in node.arguments or ():
            definition = field.args.get(argument.name.value)
            if definition is not None:
                value = value_from_ast(argument.value, definition.type)
                if value is not Undefined:
                    given[argument.name.value] = value
        return given

    def _included(self, directives: Iterable[DirectiveNode]) -> bool:
        """@skip and @include; a condition given by a variable, at validation: excluded."""
        for directive in directives:
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next((a.value for a in directive.arguments or ()), None)
            if isinstance(condition, VariableNode):
                self.depends_on_variables = True
                if self.variables is None:
                    return False
                value = self.variables.coerced.get(condition.name.value)
            elif isinstance(condition, BooleanValueNode):
                value = condition.value
            else:
                continue  # validation reports it
            if (name == "skip") == bool(value):
                return False
        return True

    def _page_size(
        self, node: FieldNode, field: GraphQLField, largest: int | None, default: int
    ) -> int | None:
        """A connection's page: its `first` or `last` (the larger, if a broken request gives
        both), else the field's default page."""
        if not any(name in field.args for name in PAGE_ARGUMENTS):
            return None
        given = [a.value for a in node.arguments or () if a.name.value in PAGE_ARGUMENTS]
        sizes = [self._argument_size(value, largest) for value in given]
        sizes = [size for size in sizes if size is not NOT_GIVEN]
        if not sizes:
            return default
        valid = [size for size in sizes if isinstance(size, int) and size > 0]
        return max(valid) if len(valid) == len(sizes) else UNKNOWN_PAGE_SIZE

    def _listed(self, node: FieldNode, key: tuple[str, str]) -> int | None:
        """A list as long as a list argument (`nodes(ids:)`): its length (the one sent, for a
        variable), at least 1."""
        if key not in LIST_ARGUMENTS:
            return None
        name, largest = LIST_ARGUMENTS[key]
        given = next((a.value for a in node.arguments or () if a.name.value == name), None)
        if isinstance(given, ListValueNode):
            return max(len(given.values), 1)
        if isinstance(given, VariableNode):
            self.depends_on_variables = True
            if self.variables is None:
                return 1
            value = self.variables.coerced.get(given.name.value)
            return max(len(value), 1) if isinstance(value, list) else 1
        return largest

    def _argument_size(self, given: object, largest: int | None) -> object:
        if isinstance(given, VariableNode):
            self.depends_on_variables = True
            if self.variables is None:
                return 1  # the smallest page it may ask for
            value = self.variables.coerced.get(given.name.value)
            if value is None:
                return NOT_GIVEN
            return value if isinstance(value, int) and value > 0 else None
        if isinstance(given, NullValueNode):
            return NOT_GIVEN
        if isinstance(given, IntValueNode):
            value = int(given.value)
            return value if value <= GRAPHQL_INT_MAX else None  # not an Int: validation says
        return None  # a wrong literal: validation reports it

    def _condition(self, condition, parent: GraphQLObjectType):
        if condition is None:
            return parent
        found = self.schema.get_type(condition.name.value)
        return found if found is not None else parent
