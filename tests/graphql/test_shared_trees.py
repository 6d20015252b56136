"""The plain-tree plans kept across requests (graphql/engine/shared_trees.py): kept only
for a selection no variable reaches."""

from graphql import FieldNode, GraphQLObjectType, GraphQLString, OperationDefinitionNode, parse
from graphql.execution.collect_fields import FieldDetails, FragmentDetails

from bookwell.graphql.engine.shared_trees import SHARED_NOT, UNKNOWN, SharedTrees

TYPE = GraphQLObjectType("Payload", {"a": GraphQLString})  # type: ignore[dict-item]


def payload(document: str) -> tuple[list[FieldDetails], dict[str, FragmentDetails]]:
    """The first root field of the document's operation, and its fragments."""
    parsed = parse(document, experimental_fragment_arguments=False)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: FragmentDetails(d)  # type: ignore[attr-defined]
        for d in parsed.definitions
        if not isinstance(d, OperationDefinitionNode)
    }
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    return [FieldDetails(node, None)], fragments


def verdict(document: str) -> object:
    trees, entries = SharedTrees(8), []
    details, fragments = payload(document)
    assert trees.get(TYPE, details) is UNKNOWN
    trees.put(TYPE, details, fragments, entries)
    found = trees.get(TYPE, details)
    assert found is entries or found is SHARED_NOT
    return found


def test_a_selection_without_variables_is_planned_once() -> None:
    assert verdict("mutation($input: In!) { book(input: $input) { a b { c(first: 2) } } }") == []


def test_a_variable_under_the_field_keeps_it_per_request() -> None:
    assert verdict("query($n: Int) { listing { a b { c(first: $n) } } }") is SHARED_NOT
    assert verdict("query($x: Boolean!) { listing { a @include(if: $x) } }") is SHARED_NOT


def test_a_variable_in_a_spread_fragment_keeps_it_per_request() -> None:
    document = "query($x: Boolean!) { listing { ...F } } fragment F on Payload { a @skip(if: $x) }"
    assert verdict(document) is SHARED_NOT
    plain = "query { listing { ...F ... on Payload { b } } } fragment F on Payload { a }"
    assert verdict(plain) == []


def test_a_deferred_field_is_planned_per_request() -> None:
    details, _ = payload("{ listing { a } }")
    deferred = [details[0]._replace(defer_usage=object())]  # type: ignore[arg-type]
    assert SharedTrees(8).get(TYPE, deferred) is SHARED_NOT


def test_the_oldest_plans_go_first() -> None:
    trees = SharedTrees(2)
    documents = [payload("{ listing { a } }") for _ in range(3)]
    for details, fragments in documents:
        trees.put(TYPE, details, fragments, [])
    assert trees.get(TYPE, documents[0][0]) is UNKNOWN
    assert trees.get(TYPE, documents[2][0]) == []
