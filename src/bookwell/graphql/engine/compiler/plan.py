"""From a validated query to a plan (parts.py, pages.py), or Decline.

Covered: Query.listings, Query.searchAvailability (their connections and totalCount, with
`filter`, prices too), Query.reservations (a signed-in viewer's), Query.listing and
Query.availability; a Listing's plain columns (declarations.py), Money and
CancellationPolicy, the rows it leads to (relations.py: owner, bookingRules,
bookingRuleSeasons, taxes), its blackouts (blackouts.py) and reservations (a Reservation's
plain columns and totalPrice, its listing and guest); __typename anywhere; fragments on
the very type. Anything else declines the root field it is under, which the ordinary
executor answers beside the compiled ones (run.py): other fields (resolvers with their own
rules), directives, fragments on interfaces, a response key selected twice unless as the
same plain field, and arguments the ordinary path would refuse (pages.py, availability.py).
A mutation, a directive on the operation, or no root compiled declines the whole operation.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.collect_fields import FragmentDetails

from bookwell.graphql.engine.compiler import availability
from bookwell.graphql.engine.compiler.blackouts import Blackouts
from bookwell.graphql.engine.compiler.declarations import DECLARATIONS, Declaration
from bookwell.graphql.engine.compiler.pages import (
    PAGE_INFO_FIELDS,
    Connection,
    Count,
    Edges,
    ListingReservations,
    Listings,
    PageInfo,
    Reservations,
    Source,
)
from bookwell.graphql.engine.compiler.parts import (
    ById,
    Column,
    Const,
    Decline,
    NullUnless,
    Obj,
    Part,
    Related,
    Rows,
)
from bookwell.graphql.engine.compiler.relations import RELATIONS, Kind
from bookwell.graphql.engine.compiler.roots import Plan, Root, queried
from bookwell.graphql.engine.compiler.sql import Sql, key
from bookwell.graphql.engine.json_pages import Vocabulary


class Planner:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDetails]):
        self.schema = schema
        self.fragments = fragments
        self.parameters = 0

    def operation(self, operation: OperationDefinitionNode) -> Plan:
        if operation.operation is not OperationType.QUERY or operation.directives:
            raise Decline
        query = self.schema.query_type
        assert query is not None
        roots: list[tuple[str, Root]] = []
        candidates, keys = self._root_fields(operation.selection_set, query.name)
        for name, node in candidates:
            with suppress(Decline):  # else the ordinary executor answers it
                roots.append((name, self._root(node, query)))
        if not any(queried(root) for _, root in roots):
            raise Decline
        return Plan(tuple(roots), whole=len(roots) == keys)

    def _root_fields(
        self, selection_set: SelectionSetNode, type_name: str
    ) -> tuple[list[tuple[str, FieldNode]], int]:
        """The root fields the compiler may answer, by response key: those selected once
        (or twice as the same plain field), with no directive on the way to them (the
        ordinary executor decides whether they are included). A root that is not among them
        is the ordinary executor's, whatever else shares its key. And how many keys there
        are."""
        found: dict[str, FieldNode | None] = {}
        for node, directed in self._root_selections(selection_set.selections, type_name):
            name = (node.alias or node.name).value
            earlier = found.get(name, node)
            same = earlier is not None and (earlier is node or _same_leaf(earlier, node))
            found[name] = earlier if same and not directed else None
        return [(name, node) for name, node in found.items() if node is not None], len(found)

    def _root_selections(
        self, selections: Iterable, type_name: str, directed: bool = False
    ) -> Iterator[tuple[FieldNode, bool]]:
        """Every root field node with whether a directive is on it or a fragment around it."""
        for selection in selections:
            here = directed or bool(selection.directives)
            if isinstance(selection, FieldNode):
                yield selection, here
                continue
            if isinstance(selection, FragmentSpreadNode):
                details = self.fragments.get(selection.name.value)
                if details is None or details.variable_signatures or selection.arguments:
                    raise Decline  # fragment arguments (experimental)
                fragment: InlineFragmentNode | FragmentDefinitionNode = details.definition
                here = here or bool(fragment.directives)
            elif isinstance(selection, InlineFragmentNode):
                fragment = selection
            else:
                raise Decline
            condition = fragment.type_condition
            if condition is not None and condition.name.value != type_name:
                raise Decline
            yield from self._root_selections(fragment.selection_set.selections, type_name, here)

    def _prefix(self) -> str:
        self.parameters += 1
        return f"p{self.parameters}_"

    def _root(self, node: FieldNode, query: GraphQLObjectType) -> Root:
        name = node.name.value
        if name == "__typename":
            return Root(Const(key(query.name)))
        definition = query.fields[name]
        if name in ("listings", "searchAvailability"):
            source = Listings(definition, node, search=name == "searchAvailability")
            return Root(self._connection(node, definition, source))
        if name == "availability":
            return Root(self._availability(node, definition), required=True)
        if name == "reservations":
            return Root(self._connection(node, definition, Reservations(definition, node)))
        if name == "listing":
            listing = self._object(node, _object_type(definition))
            return Root(ById(self._prefix(), definition, node, "Listing", "listings", listing))
        raise Decline

    def _availability(self, node: FieldNode, definition: GraphQLField) -> availability.Availability:
        prefix = self._prefix()
        values = availability.fields(prefix)
        object_type = _object_type(definition)
        entries: list[tuple[str, Part]] = []
        for name, child in self._collect(node.selection_set, object_type.name):
            _plain(child)
            found = values.get(child.name.value)
            if child.name.value == "__typename":
                entries.append((name, Const(key(object_type.name))))
            elif found is not None:
                entries.append((name, _part(found)))
            else:
                raise Decline
        return availability.Availability(prefix, definition, node, Obj(tuple(entries)))

    def _connection(self, node: FieldNode, definition: GraphQLField, source: Source) -> Connection:
        connection_type = _object_type(definition)
        entries: list[tuple[str, Const | Edges | PageInfo | Count]] = []
        for name, child in self._collect(node.selection_set, connection_type.name):
            field_name = child.name.value
            if field_name == "__typename":
                entries.append((name, Const(key(connection_type.name))))
            elif field_name == "edges" and not child.arguments:
                entries.append((name, Edges(self._edge(child, connection_type.fields["edges"]))))
            elif field_name == "pageInfo" and not child.arguments:
                entries.append((name, self._page_info(child, connection_type.fields["pageInfo"])))
            elif field_name == "totalCount" and not child.arguments:
                _plain(child)
                entries.append((name, Count()))
            else:
                raise Decline
        return Connection(self._prefix(), source, tuple(entries))

    def _edge(self, node: FieldNode, definition: GraphQLField) -> Obj:
        edge_type = _object_type(definition)
        node_type = _object_type(edge_type.fields["node"])
        declaration = _declaration(node_type)
        entries: list[tuple[str, Part]] = []
        for name, child in self._collect(node.selection_set, edge_type.name):
            field_name = child.name.value
            if field_name == "__typename":
                entries.append((name, Const(key(edge_type.name))))
            elif field_name == "cursor":
                _plain(child)
                entries.append((name, Column(declaration.column("cursor"))))
            elif field_name == "node" and not child.arguments:
                entries.append((name, self._object(child, node_type)))
            else:
                raise Decline
        return Obj(tuple(entries))

    def _page_info(self, node: FieldNode, definition: GraphQLField) -> PageInfo:
        info_type = _object_type(definition)
        entries: list[tuple[str, str | Const]] = []
        for name, child in self._collect(node.selection_set, info_type.name):
            _plain(child)
            field_name = child.name.value
            if field_name == "__typename":
                entries.append((name, Const(key(info_type.name))))
            elif field_name in PAGE_INFO_FIELDS:
                entries.append((name, field_name))
            else:
                raise Decline
        return PageInfo(tuple(entries))

    def _object(self, node: FieldNode, object_type: GraphQLObjectType) -> Obj:
        declaration = _declaration(object_type)
        return self._columns(node, object_type, declaration, declaration.vocabulary)

    def _columns(
        self,
        node: FieldNode,
        object_type: GraphQLObjectType,
        declaration: Declaration,
        vocabulary: Vocabulary,
    ) -> Obj:
        """An object of `declaration`'s row: its columns, objects made of its columns (a
        Money), and the relations below."""
        entries: list[tuple[str, Part]] = []
        for name, child in self._collect(node.selection_set, object_type.name):
            field_name = child.name.value
            if field_name == "__typename":
                entries.append((name, Const(key(object_type.name))))
                continue
            definition = object_type.fields[field_name]
            relation = (object_type.name, field_name)
            known = vocabulary.fields.get(field_name)
            part: Part
            related = RELATIONS.get(relation)
            if related is not None and not child.arguments:
                obj = self._object(child, _object_type(definition))
                if related.kind is Kind.MANY:
                    part = Rows(related.table, related.condition, related.order, obj)
                else:
                    always = related.kind is Kind.ALWAYS
                    part = Related(related.table, related.condition, obj, always)
            elif relation == ("Listing", "reservations"):
                part = self._connection(child, definition, ListingReservations(definition, child))
            elif relation == ("Listing", "blackouts"):
                obj = self._object(child, _object_type(definition))
                part = Blackouts(self._prefix(), definition, child, obj)
            elif isinstance(known, str):
                _plain(child)
                part = declaration.value(known)
            elif isinstance(known, Vocabulary) and not child.arguments:
                part = self._columns(child, _object_type(definition), declaration, known)
                if known.null_unless is not None:
                    part = NullUnless(declaration.column(known.null_unless), part)
            else:
                raise Decline
            entries.append((name, part))
        return Obj(tuple(entries))

    def _collect(
        self, selection_set: SelectionSetNode | None, type_name: str
    ) -> list[tuple[str, FieldNode]]:
        """The fields by response key in graphql-core's order, fragments spread. A key twice
        is only merged when both are the same plain field."""
        if selection_set is None:
            raise Decline
        found: dict[str, FieldNode] = {}
        for node in self._fields(selection_set.selections, type_name):
            name = (node.alias or node.name).value
            earlier = found.get(name)
            if earlier is None:
                found[name] = node
            elif not _same_leaf(earlier, node):
                raise Decline
        return list(found.items())

    def _fields(self, selections: Iterable, type_name: str) -> Iterator[FieldNode]:
        for selection in selections:
            if selection.directives:
                raise Decline
            if isinstance(selection, FieldNode):
                yield selection
                continue
            fragment: InlineFragmentNode | FragmentDefinitionNode
            if isinstance(selection, FragmentSpreadNode):
                details = self.fragments.get(selection.name.value)
                if details is None or details.variable_signatures or selection.arguments:
                    raise Decline  # fragment arguments (experimental)
                fragment = details.definition
                if fragment.directives:
                    raise Decline
            elif isinstance(selection, InlineFragmentNode):
                fragment = selection
            else:
                raise Decline
            condition = fragment.type_condition
            if condition is not None and condition.name.value != type_name:
                raise Decline  # an interface, or a type this one is not
            yield from self._fields(fragment.selection_set.selections, type_name)


def _object_type(definition: GraphQLField) -> GraphQLObjectType:
    named = get_named_type(definition.type)
    if not isinstance(named, GraphQLObjectType):
        raise Decline
    return named


def _declaration(object_type: GraphQLObjectType) -> Declaration:
    found = DECLARATIONS.get(object_type.name)
    if found is None:
        raise Decline
    return found


def _same_leaf(one: FieldNode, other: FieldNode) -> bool:
    """Two nodes graphql-core merges into one plain field."""
    return (
        one.name.value == other.name.value
        and not one.arguments
        and not other.arguments
        and one.selection_set is None
        and other.selection_set is None
    )


def _plain(node: FieldNode) -> None:
    """A leaf asked without arguments."""
    if node.arguments or node.selection_set is not None:
        raise Decline


def _part(value: Column | Sql) -> Part:
    return value if isinstance(value, Column) else availability.Fixed(value)
