"""Query cost: a validation rule that estimates how many objects an operation can resolve
and refuses it, before any resolver runs, when that exceeds the limit.

Cost of a field: 0 for scalars and enums; for an object, its size times (1 + the cost of
its selections). The size is 1 for a single object; for a connection's `edges`, the
connection's `first` or `last` (its default page when neither is given); lists without a
page argument count `UNPAGED_LIST_SIZE`. A page size
given by a variable counts the variable's default, or without one the largest page the
field serves (validation is cached per document, so it cannot look at variable values;
the largest page is a bound that holds whatever they are). Introspection
fields are free (the schema is small and static; depth and introspection have their own
switches).
"""

from graphql import (
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
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

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


def is_list(field: GraphQLField) -> bool:
    kind = field.type
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


class CostEstimator:
    """Walks one operation's selections against the schema (fragments included)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variable_defaults: dict[str, object],
    ):
        self.schema = schema
        self.fragments = fragments
        self.variable_defaults = variable_defaults
        # Each fragment is costed once per page it is spread under: a fragment spread
        # twice in a fragment spread twice ... must not take exponential time.
        self.fragment_costs: dict[tuple[str, int | None], int] = {}

    def operation_cost(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        return self.selection_cost(operation.selection_set, root, page=None, visiting=())

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
                key = (name, page)
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
        if is_leaf_type(named):
            return 0
        key = (parent.name, name)
        own_page = self._page_size(
            node, field, LARGEST_PAGES.get(key), DEFAULT_PAGES.get(key, DEFAULT_PAGE_SIZE)
        )
        if is_list(field):
            size = own_page or page or self._listed(node, key) or UNPAGED_LIST_SIZE
            child_page = None
        else:
            size = 1
            child_page = own_page  # a connection: its `edges` list is `first` long
        children = self.selection_cost(node.selection_set, named, child_page, visiting)
        return size * (1 + children)

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
        """A list as long as a list argument (`nodes(ids:)`): its literal length, else (a
        variable) the most it may hold."""
        if key not in LIST_ARGUMENTS:
            return None
        name, largest = LIST_ARGUMENTS[key]
        given = next((a.value for a in node.arguments or () if a.name.value == name), None)
        if isinstance(given, ListValueNode):
            return max(len(given.values), 1)
        return largest

    def _argument_size(self, given: object, largest: int | None) -> object:
        if isinstance(given, IntValueNode):
            value = int(given.value)
            return value if value <= GRAPHQL_INT_MAX else None  # not an Int: validation says
        if isinstance(given, VariableNode):
            return self.variable_defaults.get(given.name.value, largest or UNKNOWN_PAGE_SIZE)
        if isinstance(given, NullValueNode):
            return NOT_GIVEN
        return None  # a wrong literal: validation reports it

    def _condition(self, condition, parent: GraphQLObjectType):
        if condition is None:
            return parent
        found = self.schema.get_type(condition.name.value)
        return found if found is not None else parent


GRAPHQL_INT_MAX = 2**31 - 1
JSON_SAFE_INTEGER = 2**53 - 1


def max_query_cost_rule(max_cost: int) -> type[ValidationRule]:
    """One rule class per limit, built once (the validation cache keys on the rules)."""

    class MaxQueryCost(ValidationRule):
        def __init__(self, context: ValidationContext):
            super().__init__(context)

        def enter_document(self, document, *_args) -> None:
            fragments = {
                definition.name.value: definition
                for definition in document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            for definition in document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    self._check(definition, fragments)

        def _check(
            self,
            operation: OperationDefinitionNode,
            fragments: dict[str, FragmentDefinitionNode],
        ) -> None:
            defaults = {
                variable.variable.name.value: value_from_ast_untyped(variable.default_value)
                for variable in operation.variable_definitions or ()
                if variable.default_value is not None
            }
            estimator = CostEstimator(self.context.schema, fragments, defaults)
            # Reported as a JSON-safe integer: absurd page sizes multiply past 64 bits.
            cost = min(estimator.operation_cost(operation), JSON_SAFE_INTEGER)
            if cost > max_cost:
                name = operation.name.value if operation.name else "anonymous"
                self.report_error(
                    GraphQLError(
                        f"Operation '{name}' costs {cost}, over the limit of {max_cost}: "
                        "ask for fewer items per page (`first`) or fewer nested lists.",
                        operation,
                        extensions={"code": CODE, "cost": cost, "maxCost": max_cost},
                    )
                )

    return MaxQueryCost
