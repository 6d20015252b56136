"""Random read documents over the schema: hypothesis-graphql's queries (fields, arguments,
inline fragments on interfaces), then dressed as clients write them: aliases (some longer
than the 63 characters PostgreSQL keeps of a name, alike in those 63), variables with and
without defaults, named and inline fragments, @include/@skip by literal or variable,
__typename and the same field selected twice. Argument values are mostly the seeded rows'
ids, cursors, dates and cities (data.py): random ones find nothing, and an empty answer
compares nothing."""

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import graphql
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from hypothesis import strategies as st
from hypothesis_graphql import nodes as value_nodes
from hypothesis_graphql import queries

from tests.graphql.differential.data import AWKWARD, Seeded
from tests.graphql.differential.deep import deepened
from tests.graphql.differential.plain_schema import plain_schema

# Every read root; subscriptions and mutations are not the compiler's.
READ_ROOTS = (
    "node",
    "nodes",
    "me",
    "listing",
    "listings",
    "availability",
    "searchAvailability",
    "reservation",
    "reservations",
    "searchSlots",
    "freeUnits",
    "myWaitlist",
    "customers",
    "report",
)
NESTED_READ_ROOTS = ("listings", "searchAvailability", "availability")
# The roots the compiled path answers (graphql/engine/compiler/plan.py).
COMPILED_ROOTS = (*NESTED_READ_ROOTS, "listing", "reservations")
# (field, argument) -> the type of the id it takes; ("", argument): on any field.
ID_ARGUMENTS = {
    ("", "listingId"): "Listing",
    ("listing", "id"): "Listing",
    ("reservation", "id"): "Reservation",
    ("", "unitId"): "ListingUnit",
}
# Fields whose value is the moment of the request: two requests never answer them alike.
VOLATILE = {("Report", "generatedAt")}
LONG_ALIAS = "a_response_name_longer_than_the_sixty_three_characters_postgresql_keeps"


def scalars(seeded: Seeded) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Value strategies by scalar name: mostly seeded values, sometimes anything allowed."""
    every_id = [row_id for rows in seeded.ids.values() for row_id in rows]
    every_uuid = [row_id for rows in seeded.uuids.values() for row_id in rows]
    ids = st.sampled_from(every_id) | st.sampled_from(every_uuid) | st.text(max_size=6)
    dates = st.sampled_from(seeded.dates) | st.dates(date(1990, 1, 1), date(2100, 1, 1))
    zones = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))])
    hours = st.sampled_from([time(9), time(12), time(19), time(19, 30), time(23, 59)])
    instants = st.builds(datetime.combine, st.sampled_from(seeded.dates), hours, zones)
    strings = st.sampled_from(
        seeded.cursors + seeded.cities + ["", AWKWARD, "Sunny", "ö"]
    ) | st.text(max_size=5)
    odd = st.sampled_from([0, -1, 25, 101, 366, 2**31 - 1])
    small = st.integers(0, 99).flatmap(lambda n: st.integers(1, 6) if n < 90 else odd)
    return {
        "ID": ids.map(value_nodes.String),
        "UUID": st.sampled_from(every_uuid).map(value_nodes.String),
        "Int": small.map(value_nodes.Int),
        "String": strings.map(value_nodes.String),
        "Date": dates.map(date.isoformat).map(value_nodes.String),
        "DateTime": instants.map(datetime.isoformat).map(value_nodes.String),
        "Time": hours.map(time.isoformat).map(value_nodes.String),
    }


Dressed = tuple[DocumentNode, bool]  # and whether over plain columns


@dataclass
class Document:
    query: str
    variables: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.query}\nvariables: {self.variables}"


def documents(schema: GraphQLSchema, seeded: Seeded) -> st.SearchStrategy[Document]:
    """A fifth of the documents ask for any read roots together, a fifth for one root, a
    fifth for one of the nested read's roots alone, and two fifths for one of the roots the
    compiled path answers, over plain columns only (what it answers rather than declines)."""
    values = scalars(seeded)
    plain = plain_schema(schema)

    def over(roots: tuple[str, ...], schema: GraphQLSchema = schema) -> st.SearchStrategy[Dressed]:
        generated = queries(
            schema,
            fields=roots,
            custom_scalars=values,
            print_ast=lambda document: document,
            allow_x00=False,  # no PostgreSQL text holds NUL: refused alike before any SQL
        )
        return st.tuples(generated, st.just(schema is plain))

    generated = st.one_of(
        over(READ_ROOTS),
        st.one_of([over((root,)) for root in READ_ROOTS]),
        st.one_of([over((root,)) for root in NESTED_READ_ROOTS]),
        st.one_of([over((root,), plain) for root in COMPILED_ROOTS]),
        st.one_of([over((root,), plain) for root in COMPILED_ROOTS]),
    )

    @st.composite
    def dressed(draw: st.DrawFn) -> Document:
        document, over_plain_columns = draw(generated)
        if not over_plain_columns:
            return _Dresser(schema, seeded, draw, rate=1.0).dress(document)
        (operation,) = document.definitions
        assert isinstance(operation, OperationDefinitionNode)
        deep = DocumentNode(definitions=(deepened(draw, plain, operation),))
        # Less dressed: the compiled path declines directives, for one.
        return _Dresser(schema, seeded, draw, rate=0.3).dress(deep)

    return dressed()


class _Dresser:
    """Dresses one generated document with draws of its own."""

    def __init__(self, schema: GraphQLSchema, seeded: Seeded, draw: st.DrawFn, rate: float):
        self.schema = schema
        self.seeded = seeded
        self.rate = rate  # how much of each dressing
        self.draw = draw
        self.names = itertools.count(1)
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self.fragments: list[FragmentDefinitionNode] = []

    def chance(self, percent: int) -> bool:
        # Shrinks towards False: a failing document is reported with the fewest dressings.
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def dressing(self, percent: int) -> bool:
        return self.chance(round(percent * self.rate))

    def dress(self, document: DocumentNode) -> Document:
        self.variables, self.definitions, self.fragments = {}, [], []
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        query_type = self.schema.query_type
        assert query_type is not None
        selection = self.selections(operation.selection_set, query_type)
        named = self.chance(50) or bool(self.definitions)
        dressed = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=NameNode(value="Differential") if named else None,
            variable_definitions=tuple(self.definitions),
            directives=(),
            selection_set=selection,
        )
        printed = graphql.print_ast(DocumentNode(definitions=(dressed, *self.fragments)))
        return Document(printed, dict(self.variables))

    def selections(
        self, selection_set: SelectionSetNode, parent: graphql.GraphQLNamedType
    ) -> SelectionSetNode:
        chosen: list[Any] = []
        for node in selection_set.selections:
            if isinstance(node, FieldNode) and (parent.name, node.name.value) in VOLATILE:
                continue
            if isinstance(node, FieldNode):
                chosen.extend(self.field(node, parent))
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                assert inner is not None
                chosen.append(
                    InlineFragmentNode(
                        type_condition=condition,
                        directives=(),
                        selection_set=self.selections(node.selection_set, inner),
                    )
                )
        if not chosen or self.dressing(15):
            chosen.insert(self.draw(st.integers(0, len(chosen))), _field("__typename"))
        return SelectionSetNode(selections=tuple(chosen))

    def field(self, node: FieldNode, parent: graphql.GraphQLNamedType) -> list[Any]:
        assert isinstance(parent, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
        definition = parent.fields[node.name.value]
        children = None
        if node.selection_set is not None:
            target = graphql.get_named_type(definition.type)
            children = self.selections(node.selection_set, target)
        sensible = self.sensible(node.name.value, node.arguments)
        arguments = tuple(self.argument(a, definition.args[a.name.value]) for a in sensible)
        alias = node.alias
        if alias is None and self.dressing(6):
            # Long ones alike in their first 63 characters: PostgreSQL would keep one name.
            long = LONG_ALIAS if self.chance(10) else "a"
            alias = NameNode(value=f"{long}{next(self.names)}")
        dressed = FieldNode(
            alias=alias,
            name=node.name,
            arguments=arguments,
            directives=self.directives(),
            selection_set=children,
        )
        fields = [dressed]
        if self.dressing(5):  # the same field again: merged, answered once
            fields.append(dressed)
        if self.dressing(10):
            return [self.fragment(fields, parent)]
        return fields

    def fragment(self, fields: list[FieldNode], parent: graphql.GraphQLNamedType) -> Any:
        selection = SelectionSetNode(selections=tuple(fields))
        condition = NamedTypeNode(name=NameNode(value=parent.name))
        if self.chance(50):
            return InlineFragmentNode(
                type_condition=condition if self.chance(50) else None,
                directives=self.directives(),
                selection_set=selection,
            )
        name = NameNode(value=f"F{next(self.names)}")
        self.fragments.append(
            FragmentDefinitionNode(
                name=name, type_condition=condition, directives=(), selection_set=selection
            )
        )
        return FragmentSpreadNode(name=name, directives=self.directives())

    def directives(self) -> tuple[DirectiveNode, ...]:
        if not self.dressing(10):
            return ()
        name = "include" if self.chance(50) else "skip"
        value = self.chance(50)
        condition: Any = BooleanValueNode(value=value)
        if self.chance(50):
            condition = self.variable("Boolean!", condition, value)
        argument = ArgumentNode(name=NameNode(value="if"), value=condition)
        return (DirectiveNode(name=NameNode(value=name), arguments=(argument,)),)

    def sensible(self, field: str, arguments: tuple[ArgumentNode, ...]) -> list[ArgumentNode]:
        """Mostly arguments a client would send: an id of the type the argument names, not
        both `first` and `last`, an endDate after the startDate. Else most documents are
        refused before any SQL, the same way on every path."""
        given = {a.name.value: a.value for a in arguments}
        if self.chance(90) and not _is_null(given.get("first")) and not _is_null(given.get("last")):
            del given["last" if self.chance(80) else "first"]
        if "listingId" in given and "filter" in given and self.chance(80):
            del given["filter"]
        for cursor in ("after", "before"):
            if isinstance(given.get(cursor), StringValueNode) and self.chance(80):
                given[cursor] = StringValueNode(
                    value=self.draw(st.sampled_from(self.seeded.cursors))
                )
        start, end = given.get("startDate"), given.get("endDate")
        if (
            isinstance(start, StringValueNode)
            and isinstance(end, StringValueNode)
            and not 0 < _days(start.value, end.value) <= 60
            and self.chance(90)
        ):
            later = date.fromisoformat(start.value) + timedelta(self.draw(st.integers(1, 9)))
            given["endDate"] = StringValueNode(value=later.isoformat())
        for name, value in given.items():
            type_name = ID_ARGUMENTS.get((field, name)) or ID_ARGUMENTS.get(("", name))
            if type_name and isinstance(value, StringValueNode) and self.chance(85):
                rows = self.seeded.ids if self.chance(80) else self.seeded.uuids
                if rows[type_name]:
                    given[name] = StringValueNode(value=self.draw(st.sampled_from(rows[type_name])))
        return [
            ArgumentNode(name=NameNode(value=name), value=value) for name, value in given.items()
        ]

    def argument(self, node: ArgumentNode, definition: graphql.GraphQLArgument) -> ArgumentNode:
        if isinstance(node.value, VariableNode) or not self.chance(40):
            return node
        value = graphql.value_from_ast_untyped(node.value)
        variable = self.variable(str(definition.type), node.value, value)
        return ArgumentNode(name=node.name, value=variable)

    def variable(self, type_text: str, literal: Any, value: Any) -> VariableNode:
        """A variable in the literal's place: sent, or its default (a literal) when not."""
        name = NameNode(value=f"v{next(self.names)}")
        as_default = self.chance(25) and not isinstance(literal, VariableNode)
        self.definitions.append(
            VariableDefinitionNode(
                variable=VariableNode(name=name),
                type=graphql.parse_type(type_text),
                default_value=literal if as_default else None,
                directives=(),
            )
        )
        if not as_default:
            self.variables[name.value] = value
        return VariableNode(name=name)


def _days(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def _is_null(value: graphql.ValueNode | None) -> bool:
    return value is None or isinstance(value, graphql.NullValueNode)


def _field(name: str) -> FieldNode:
    return FieldNode(
        alias=None, name=NameNode(value=name), arguments=(), directives=(), selection_set=None
    )
