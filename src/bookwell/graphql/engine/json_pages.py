"""Lists of objects that PostgreSQL writes as JSON, as PostGraphile does, for the ordinary
executor (the compiled read path, graphql/engine/compiler/, writes whole root fields).

`listings { edges { node { latitude reservations(first: 5) { id startDate status } } } }`
is no compiled root (latitude), yet asks for hundreds of reservations of a handful of
columns each. Read as rows, every one is decoded (all its columns), built into an object,
then completed field by field. When the selection below a listing's `reservations` edges is
only columns that PostgreSQL can write exactly as the API would (a vocabulary below, made
from a service's JSON_FIELDS: the one declaration of those columns), the look-ahead asks for
the page as JSON instead (services/booking/reservation_json.py), and the executor puts that
text into the answer unchanged (an `orjson.Fragment`). The vocabularies are the compiler's
too (compiler/declarations.py).

The JSON answers one field node of the document and nothing else: `Prebuilt.node` is that
node, and the executor uses the text only when completing that very node (execution.py).
Anything else (another alias, a directive, a field with a resolver, a timestamp) keeps the
object path, so a list is never shaped for a selection it was not built from.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode
from graphql.language import SelectionNode
from strawberry.utils.str_converters import to_camel_case

from bookwell.core.json_rows import MAX_KEY_LENGTH, Constant, JsonShape
from bookwell.services.accounts.user_json import JSON_FIELDS as USER_FIELDS
from bookwell.services.booking.reservation_json import JSON_FIELDS as RESERVATION_FIELDS
from bookwell.services.listings.listing_json import JSON_FIELDS as LISTING_FIELDS


@dataclass(frozen=True)
class Vocabulary:
    """What PostgreSQL can write of one GraphQL object type: field -> a column of the
    service's JSON_FIELDS, or a nested object's vocabulary."""

    type_name: str
    fields: dict[str, "str | Vocabulary"]
    # A nullable object (a tax's amount): null when this column is (the compiler only).
    null_unless: str | None = None

    def columns(self) -> set[str]:
        return {
            column
            for value in self.fields.values()
            for column in (value.columns() if isinstance(value, Vocabulary) else [value])
        }


def vocabulary(
    type_name: str, columns: Iterable[str], objects: dict[str, Vocabulary] | None = None
) -> Vocabulary:
    """A type's vocabulary from the one declaration of its columns (a service's JSON_FIELDS):
    each column is the field of its name in camelCase, as Strawberry names fields, except the
    cursor and the columns of the nested `objects`."""
    objects = objects or {}
    nested = {column for value in objects.values() for column in value.columns()}
    plain = [column for column in columns if column != "cursor" and column not in nested]
    return Vocabulary(type_name, {**{to_camel_case(column): column for column in plain}, **objects})


def money(amount: str) -> Vocabulary:
    return Vocabulary("Money", {"amount": amount, "currency": "currency"})


RESERVATION = vocabulary("Reservation", RESERVATION_FIELDS, {"totalPrice": money("total_amount")})
LISTING = vocabulary(
    "Listing",
    LISTING_FIELDS,
    {
        "nightlyPrice": money("nightly_amount"),
        "cleaningFee": money("cleaning_amount"),
        "cancellationPolicy": Vocabulary(
            "CancellationPolicy",
            {
                "freeCancellationDays": "free_cancellation_days",
                "lateRefundPercent": "late_refund_percent",
                "noShowRefundPercent": "no_show_refund_percent",
            },
        ),
    },
)
# Only the compiled read path (graphql/engine/compiler/) writes users.
USER = vocabulary("User", USER_FIELDS)
RESERVATION_EDGE = Vocabulary("ReservationEdge", {"cursor": "cursor", "node": RESERVATION})


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


def json_shape(node: FieldNode, vocabulary: Vocabulary, fragments: Fragments) -> JsonShape | None:
    """The JSON shape that answers `node`'s selection (of the vocabulary's type), or None if
    some of it is not a column PostgreSQL writes exactly as the API does."""
    if node.selection_set is None:
        return None
    fields = _fields(node.selection_set.selections, fragments, vocabulary.type_name)
    if fields is None:
        return None
    shape: JsonShape = {}
    for field in fields:
        key = (field.alias or field.name).value
        if len(key) > MAX_KEY_LENGTH:
            return None
        name = field.name.value
        known = vocabulary.fields.get(name)
        value: str | Constant | JsonShape | None = None
        if field.arguments:
            return None
        if name == "__typename":
            value = Constant(vocabulary.type_name)
        elif isinstance(known, Vocabulary):
            value = json_shape(field, known, fragments)
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
        fragment: InlineFragmentNode | FragmentDefinitionNode
        if isinstance(selection, FragmentSpreadNode):
            spread = fragments.get(selection.name.value)
            if spread is None or spread.directives:
                return None
            fragment = spread
        elif isinstance(selection, InlineFragmentNode | FragmentDefinitionNode):
            fragment = selection
        else:
            return None
        condition = fragment.type_condition
        if type_name is not None and condition is not None and condition.name.value != type_name:
            return None
        inner = _fields(fragment.selection_set.selections, fragments, type_name)
        if inner is None:
            return None
        found += inner
    return found
