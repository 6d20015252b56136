"""Where the query cost (limits/cost.py) is checked, twice.

At validation (cached per document text), with what the text alone says: each variable at
its cheapest (a page of 1, a list of 1, a field it may exclude excluded), so a document too
costly whatever its variables is refused once and for all. Then, for an operation with
variables, on every request (`QueryCost`, before any resolver, over HTTP, persisted queries
and the websocket alike) with the values that request sends: a cheap default cannot price a
large value. An operation whose variables cannot change its cost (none sets a page, a list's
length, a condition or a weight) keeps the cost its text gives, without coercing them.
"""

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
    get_operation_ast,
)
from graphql.execution.values import VariableValues, get_variable_values
from strawberry.extensions import SchemaExtension

from bookwell.graphql.limits.cost import CODE, CostEstimator

FIXED_COSTS_KEPT = 1024
# id(operation) -> (operation, schema, its cost when its variables cannot change it, else None)
_fixed_costs: dict[int, tuple[OperationDefinitionNode, GraphQLSchema, int | None]] = {}


def _refusal(operation: OperationDefinitionNode, cost: int, max_cost: int) -> GraphQLError:
    name = operation.name.value if operation.name else "anonymous"
    return GraphQLError(
        f"Operation '{name}' costs {cost}, over the limit of {max_cost}: "
        "ask for fewer items per page (`first`), fewer nested lists or less costly fields.",
        operation,
        extensions={"code": CODE, "cost": cost, "maxCost": max_cost},
    )


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def max_query_cost_rule(max_cost: int) -> type[ValidationRule]:
    """One rule class per limit, built once (the validation cache keys on the rules)."""

    class MaxQueryCost(ValidationRule):
        def __init__(self, context: ValidationContext):
            super().__init__(context)

        def enter_document(self, document, *_args) -> None:
            fragments = _fragments(document)
            for definition in document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    estimator = CostEstimator(self.context.schema, fragments, None)
                    cost = estimator.operation_cost(definition)
                    if cost > max_cost:
                        self.report_error(_refusal(definition, cost, max_cost))

    return MaxQueryCost


def fixed_cost(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> int | None:
    """The operation's cost whatever its variables hold, or None when they can change it."""
    known = _fixed_costs.get(id(operation))
    if known is not None and known[0] is operation and known[1] is schema:
        return known[2]
    estimator = CostEstimator(schema, _fragments(document), None)
    cost = estimator.operation_cost(operation)
    fixed = None if estimator.depends_on_variables else cost
    if len(_fixed_costs) >= FIXED_COSTS_KEPT:
        _fixed_costs.clear()
    _fixed_costs[id(operation)] = (operation, schema, fixed)
    return fixed


class QueryCost(SchemaExtension):
    """The cost again with the request's variables, before any resolver runs; refused as
    validation refuses (the same error), for queries, mutations and subscriptions."""

    def __init__(self, max_cost: int):
        super().__init__()
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is not None and operation is not None and operation.variable_definitions:
            schema = context.schema._schema
            cost = fixed_cost(schema, document, operation)
            # Over the limit (validation refuses that first): as before, refused only when
            # the variables coerce (else the executor reports them).
            if cost is None or cost > self.max_cost:
                self._check_with_variables(schema, document, operation)
        yield

    def _check_with_variables(
        self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
    ) -> None:
        context = self.execution_context
        inputs = context.variables if isinstance(context.variables, dict) else {}
        variables = get_variable_values(schema, operation.variable_definitions or (), inputs)
        if isinstance(variables, VariableValues):  # else: execution reports the mistakes
            estimator = CostEstimator(schema, _fragments(document), variables)
            cost = estimator.operation_cost(operation)
            if cost > self.max_cost:
                raise _refusal(operation, cost, self.max_cost)
