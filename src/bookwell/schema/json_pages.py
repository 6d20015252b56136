"""Pages of nested reservations that PostgreSQL writes as JSON, as PostGraphile does.

`listings { edges { node { reservations(first: 5) { id startDate status } } } }` asks for
hundreds of reservations of a handful of columns each. Read as rows, every one is decoded
(all its columns), built into a `Reservation`, then completed field by field: most of the
request's CPU (bench/README.md). When the selection below such a field is only columns that
PostgreSQL can write exactly as the API would (services/reservations.py: JSON_FIELDS), the
look-ahead asks for each listing's page as one JSON array instead, and the executor puts
that text into the answer unchanged (an `orjson.Fragment`).

The JSON answers one field node of the document and nothing else: `Prebuilt.node` is that
node, and the executor uses the text only when completing that very node (schema/execution.py).
Anything else (another alias, a directive, a field with a resolver, a timestamp) keeps the
object path, so a page is never shaped for a selection it was not built from.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode
from graphql.language import SelectionNode

from bookwell.services.reservation_json import MAX_KEY_LENGTH, Constant, JsonShape

# GraphQL field of Reservation -> services/reservations.py JSON_FIELDS (or a nested object).
RESERVATION_FIELDS: JsonShape = {
    "id": "id",
    "guestName": "guest_name",
    "startDate": "start_date",
    "endDate": "end_date",
    "nights": "nights",
    "quantity": "quantity",
    "status": "status",
    "partySize": "party_size",
    "cancelReason": "cancel_reason",
    "totalPrice": {"amount": "total_amount", "currency": "currency"},
}
# The GraphQL type of each nested object above (for __typename and fragment conditions).
OBJECT_TYPES = {"totalPrice": "Money"}


@dataclass(frozen=True, slots=True)
class Prebuilt:
    """A prefetched value already written as JSON, for one field node of the document."""

    node: FieldNode
    json: orjson.Fragment


Fragments = dict[str, FragmentDefinitionNode]


def field_nodes(
    roots: Iterable[FieldNode], path: Sequence[str], fragments: Fragments
) -> list[FieldNode] | None:
    """The field nodes reached by following `path` (field names) below `roots`; None when a
    directive on the way may leave one out."""
    current = list(roots)
    for name in path:
        found: list[FieldNode] = []
        for node in current:
            if node.selection_set is not None:
                below = _fields(node.selection_set.selections, fragments, type_name=None)
                if below is None:
                    return None
                found += [field for field in below if field.name.value == name]
        current = found
    return current


def reservation_shape(node: FieldNode, fragments: Fragments) -> JsonShape | None:
    """The JSON shape that answers `node`'s selection, or None if some of it is not a
    column PostgreSQL writes exactly as the API does."""
    return _shape(node, RESERVATION_FIELDS, "Reservation", fragments)


def _shape(
    node: FieldNode, vocabulary: JsonShape, type_name: str, fragments: Fragments
) -> JsonShape | None:
    if node.selection_set is None:
        return None
    fields = _fields(node.selection_set.selections, fragments, type_name)
    if fields is None:
        return None
    shape: JsonShape = {}
    for field in fields:
        key = (field.alias or field.name).value
        if len(key) > MAX_KEY_LENGTH:
            return None
        name = field.name.value
        known = vocabulary.get(name)
        value: str | Constant | JsonShape | None = None
        if field.arguments:
            return None
        if name == "__typename":
            value = Constant(type_name)
        elif isinstance(known, dict):
            value = _shape(field, known, OBJECT_TYPES[name], fragments)
        elif isinstance(known, str) and field.selection_set is None:
            value = known
        if value is None:
            return None
        if key in shape:  # graphql-core merges repeats; only plain repeats are the same
            if shape[key] != value or isinstance(value, dict):
                return None
            continue
        shape[key] = value
    return shape


def _fields(
    selections: Iterable[SelectionNode], fragments: Fragments, type_name: str | None
) -> list[FieldNode] | None:
    """Fields in document order with fragments spread (graphql-core's own order); None on
    any directive, or a fragment on another type than `type_name` (when given)."""
    found: list[FieldNode] = []
    for selection in selections:
        if selection.directives:
            return None
        if isinstance(selection, FieldNode):
            found.append(selection)
            continue
        if isinstance(selection, FragmentSpreadNode):
            selection = fragments.get(selection.name.value)
            if selection is None or selection.directives:
                return None
        if not isinstance(selection, InlineFragmentNode | FragmentDefinitionNode):
            return None
        condition = selection.type_condition
        if type_name is not None and condition is not None and condition.name.value != type_name:
            return None
        inner = _fields(selection.selection_set.selections, fragments, type_name)
        if inner is None:
            return None
        found += inner
    return found
