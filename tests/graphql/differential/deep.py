"""Deep selections over the plain schema (plain_schema.py): hypothesis-graphql picks few
fields and seldom goes down a connection's edges to its nodes, so the documents over plain
columns get their root fields' arguments from it and their selections from here: several
columns of each object, an edge's node mostly, owners and pages of reservations below."""

import graphql
from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    IntValueNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from hypothesis import strategies as st

MAX_DEPTH = 6  # a listing's reservations' edges' nodes are at depth 5 below the root field
# Fields nearly always followed: without them a page is only cursors.
FOLLOWED = {"edges": 90, "node": 90}


def deepened(
    draw: st.DrawFn, schema: GraphQLSchema, operation: OperationDefinitionNode
) -> OperationDefinitionNode:
    """The operation with each root field's selection drawn anew from `schema`."""
    query = schema.query_type
    assert query is not None
    roots = []
    for node in operation.selection_set.selections:
        if isinstance(node, FieldNode) and node.selection_set is not None:
            target = graphql.get_named_type(query.fields[node.name.value].type)
            assert isinstance(target, GraphQLObjectType)
            node = FieldNode(
                alias=node.alias,
                name=node.name,
                arguments=node.arguments,
                directives=node.directives,
                selection_set=_selection(draw, target, 1),
            )
        roots.append(node)
    return OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=tuple(roots)),
    )


def _selection(draw: st.DrawFn, object_type: GraphQLObjectType, depth: int) -> SelectionSetNode:
    names = sorted(object_type.fields)
    chosen = [n for n in names if n in FOLLOWED and draw(st.integers(0, 99)) < FOLLOWED[n]]
    others = [n for n in names if n not in FOLLOWED]
    if others:
        most = min(len(others), 8)
        chosen += draw(st.lists(st.sampled_from(others), min_size=0, max_size=most, unique=True))
    fields = []
    for name in chosen or names[:1]:
        definition = object_type.fields[name]
        target = graphql.get_named_type(definition.type)
        if isinstance(target, GraphQLObjectType):
            if depth >= MAX_DEPTH:
                continue
            children = _selection(draw, target, depth + 1)
        else:
            children = None
        arguments = []
        if "first" in definition.args and draw(st.integers(0, 99)) < 70:
            first = IntValueNode(value=str(draw(st.integers(1, 4))))
            arguments.append(ArgumentNode(name=NameNode(value="first"), value=first))
        fields.append(
            FieldNode(
                alias=None,
                name=NameNode(value=name),
                arguments=tuple(arguments),
                directives=(),
                selection_set=children,
            )
        )
    if not fields:  # every field chosen was an object too deep: a leaf instead
        fields.append(
            FieldNode(
                alias=None,
                name=NameNode(value="__typename"),
                arguments=(),
                directives=(),
                selection_set=None,
            )
        )
    return SelectionSetNode(selections=tuple(fields))
