"""Plain-tree plans (plain_tree.py) kept across requests, by type and field nodes.

What execution.py plans for an object depends on its type and on the document under its field
nodes: their selections, the fragments spread there, the arguments of prefetched fields. When
no variable appears anywhere in that (an argument, @skip/@include, @defer's `if`) the plan is
the same for every request of the document, and is kept here as the compiler keeps its plans;
otherwise each request plans its own (SHARED_NOT: the verdict itself is kept).
"""

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import FragmentSpreadNode, GraphQLObjectType, Node, VariableNode
from graphql.execution.collect_fields import FieldDetails, FragmentDetails

from bookwell.graphql.engine import plain_tree as tree

SIZE = 1024
# Not known yet; known to vary with the request.
UNKNOWN = object()
SHARED_NOT = object()

Key = tuple[int, ...]


class SharedTrees:
    """Plans by (type, field nodes) identity, the type and nodes kept alive beside the plan so
    that no other ones can take their ids while the entry exists; the oldest go first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._found: OrderedDict[Key, tuple[Any, list[Any], Any]] = OrderedDict()

    def get(self, object_type: GraphQLObjectType, details_list: Sequence[FieldDetails]) -> Any:
        """The plan (entries, or None: not plain), UNKNOWN, or SHARED_NOT."""
        nodes = []
        for details in details_list:
            if details.defer_usage is not None or details.fragment_variable_values is not None:
                return SHARED_NOT
            nodes.append(details.node)
        # A key found means these very objects: the entry holds them, so their ids are theirs.
        known = self._found.get(_key(object_type, nodes))
        return UNKNOWN if known is None else known[2]

    def put(
        self,
        object_type: GraphQLObjectType,
        details_list: Sequence[FieldDetails],
        fragments: Mapping[str, FragmentDetails],
        entries: list[tree.Entry] | None,
    ) -> None:
        nodes = [details.node for details in details_list]
        seen: set[str] = set()
        varies = any(
            node.selection_set is not None and _reads_variables(node.selection_set, fragments, seen)
            for node in nodes
        )
        plan = SHARED_NOT if varies else entries
        self._found[_key(object_type, nodes)] = (object_type, nodes, plan)
        if len(self._found) > self.size:
            self._found.popitem(last=False)


def _key(object_type: GraphQLObjectType, nodes: list[Any]) -> Key:
    return (id(object_type), *map(id, nodes))


def _reads_variables(node: Node, fragments: Mapping[str, FragmentDetails], seen: set[str]) -> bool:
    if isinstance(node, VariableNode):
        return True
    if isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
        seen.add(node.name.value)
        details = fragments.get(node.name.value)
        if details is None or _reads_variables(details.definition, fragments, seen):
            return True
    for name in node.keys:
        value = getattr(node, name, None)
        children = value if isinstance(value, tuple | list) else (value,)
        for child in children:
            if isinstance(child, Node) and _reads_variables(child, fragments, seen):
                return True
    return False
