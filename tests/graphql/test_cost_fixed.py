"""The per-request cost check skips coercing the variables of an operation whose variables
cannot change its cost (graphql/limits/cost_checks.py): which operations those are."""

import pytest
from graphql import OperationDefinitionNode, parse

from bookwell.graphql.limits.cost import CostEstimator
from bookwell.graphql.limits.cost_checks import _fragments, fixed_cost
from bookwell.graphql.schema import schema

AVAILABILITY = (
    "query ($id: ID!, $start: Date!, $end: Date!) { availability(listingId: $id,"
    " startDate: $start, endDate: $end) { available freeUnits } }"
)
FIXED = [
    AVAILABILITY,
    "query ($after: String) { listings(first: 100, after: $after) { edges { node { id"
    " reservations(first: 5) { edges { node { id } } } } } } }",
    "query ($start: Date!, $nights: Int!) { searchAvailability(startDate: $start,"
    " nights: $nights, first: 20) { edges { node { id } } } }",
    "query ($id: ID!) { listing(id: $id) { ...L } } fragment L on Listing { id title }",
]
VARIABLE = [
    # A page, a list's length, a condition.
    "query ($first: Int) { listings(first: $first) { edges { node { id } } } }",
    "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }",
    "query ($id: ID!, $more: Boolean!) { listing(id: $id) { id"
    " reservations(first: 5) @include(if: $more) { edges { node { id } } } } }",
    # A weight from arguments, and a list as long as its parent's arguments say.
    'query ($id: ID!, $n: Int) { listing(id: $id) { quote(startDate: "2027-03-01",'
    " nights: $n) { total { amount } } } }",
    "query ($id: ID!, $start: Date!, $end: Date!) { availability(listingId: $id,"
    " startDate: $start, endDate: $end) { ...N } } fragment N on Availability {"
    " nights { freeUnits } }",
]


def _operation(text: str) -> tuple:
    document = parse(text)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return document, operation


@pytest.mark.parametrize("text", FIXED)
def test_an_operation_whose_variables_change_nothing_keeps_its_cost(text: str) -> None:
    document, operation = _operation(text)
    cost = fixed_cost(schema._schema, document, operation)
    expected = CostEstimator(schema._schema, _fragments(document), None).operation_cost(operation)
    assert cost == expected
    assert fixed_cost(schema._schema, document, operation) == expected  # kept


@pytest.mark.parametrize("text", VARIABLE)
def test_an_operation_whose_variables_may_change_its_cost_is_priced_per_request(
    text: str,
) -> None:
    document, operation = _operation(text)
    assert fixed_cost(schema._schema, document, operation) is None
