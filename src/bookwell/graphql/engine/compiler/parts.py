"""The parts a compiled plan is made of: each writes some JSON as SQL text.

A plan is compiled once per operation. Its parts' `binders` (made once per plan, in the
order `pieces` consumes variants) are what a request runs: each reads the request's
arguments, adds its bind parameters and appends a *variant* (what changes the SQL text: which
cursors were given, which filter fields, what kind of viewer) or raises Decline; `pieces`
writes the SQL for those variants. The SQL of a list of variants is kept (plan.py), so a
request whose variants were seen before only binds.
"""

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from graphql import FieldNode, GraphQLField
from graphql.execution.values import VariableValues, get_argument_values

from bookwell.core.ids import database_id_of
from bookwell.graphql.engine.compiler.arguments import Arguments
from bookwell.graphql.engine.compiler.sql import Piece, Sql, concat, json_value, key
from bookwell.services.accounts.principal import Principal


class Decline(Exception):
    """The compiler cannot answer this operation exactly: the ordinary executor does."""


@dataclass
class Binding:
    """One request's values for a plan."""

    variables: VariableValues
    viewer: Principal | None
    variants: list[Hashable] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    # The plan's roots (their indexes) that this request's statement answers.
    roots: list[int] = field(default_factory=list)

    def arguments(self, arguments: Arguments) -> dict[str, Any]:
        read = arguments.read(self.variables.coerced)
        if read is not None:
            return read
        try:
            return get_argument_values(arguments.definition, arguments.node, self.variables)
        except Exception:
            raise Decline from None


Variants = Iterator[Hashable]
Binder = Callable[[Binding], None]


class Part(Protocol):
    def binders(self) -> list[Binder]: ...

    def pieces(self, variants: Variants) -> list[Piece]: ...


@dataclass(frozen=True)
class Const:
    """JSON known when compiling (a __typename)."""

    json: str

    def binders(self) -> list[Binder]:
        return []

    def pieces(self, variants: Variants) -> list[Piece]:
        return [self.json]


@dataclass(frozen=True)
class Column:
    """A column expression of the current row (sql.expression of a JSON_FIELDS entry);
    `verbatim`: text JSON writes unescaped (sql.verbatim)."""

    expression: str
    verbatim: bool = False

    def binders(self) -> list[Binder]:
        return []

    def pieces(self, variants: Variants) -> list[Piece]:
        return [json_value(self.expression, verbatim=self.verbatim)]


@dataclass(frozen=True)
class Obj:
    """A JSON object: its response keys in the document's order."""

    entries: tuple[tuple[str, Part], ...]

    def binders(self) -> list[Binder]:
        return [binder for _, part in self.entries for binder in part.binders()]

    def pieces(self, variants: Variants) -> list[Piece]:
        written: list[Piece] = ["{"]
        for index, (name, part) in enumerate(self.entries):
            written.append(("," if index else "") + key(name) + ":")
            written += part.pieces(variants)
        written.append("}")
        return written

    def sql(self, variants: Variants) -> str:
        return concat(self.pieces(variants))


@dataclass(frozen=True)
class Related:
    """One object of another table, found from the current row (a listing's owner), or
    null when there is none; `always`: an object of nulls instead (a listing's booking
    rules, which the API shows all null when the host set none)."""

    table: str
    condition: str
    obj: Obj
    always: bool = False

    def binders(self) -> list[Binder]:
        return self.obj.binders()

    def pieces(self, variants: Variants) -> list[Piece]:
        inner = self.obj.sql(variants)
        if self.always:
            found = f'(SELECT 1) AS "one$" LEFT JOIN {self.table} ON {self.condition}'
            return [Sql(f"(SELECT {inner} FROM {found})")]
        return [Sql(f"coalesce((SELECT {inner} FROM {self.table} WHERE {self.condition}), 'null')")]


@dataclass(frozen=True)
class Rows:
    """A list of objects of another table found from the current row, in `order`."""

    table: str
    condition: str
    order: str
    obj: Obj

    def binders(self) -> list[Binder]:
        return self.obj.binders()

    def pieces(self, variants: Variants) -> list[Piece]:
        # ARRAY of a subquery keeps its order, where string_agg(... ORDER BY) would sort again
        inner = self.obj.sql(variants)
        rows = f"SELECT {inner} FROM {self.table} WHERE {self.condition} ORDER BY {self.order}"
        return ["[", Sql(f"array_to_string(ARRAY({rows}), ',')"), "]"]


@dataclass(frozen=True)
class NullUnless:
    """An object of the current row's columns that is null when `column` is."""

    column: str
    obj: Obj

    def binders(self) -> list[Binder]:
        return self.obj.binders()

    def pieces(self, variants: Variants) -> list[Piece]:
        inner = self.obj.sql(variants)
        return [Sql(f"(CASE WHEN {self.column} IS NULL THEN 'null' ELSE {inner} END)")]


@dataclass(frozen=True)
class ById:
    """A root field's one object by its `id` argument (a global id of `type_name` or a
    UUID), or null when there is none or the id names none (Query.listing)."""

    prefix: str
    definition: GraphQLField
    node: FieldNode
    type_name: str
    table: str
    obj: Obj

    @cached_property
    def arguments(self) -> Arguments:
        return Arguments(self.definition, self.node)

    def binders(self) -> list[Binder]:
        return [self.bind, *self.obj.binders()]

    def bind(self, binding: Binding) -> None:
        found = binding.arguments(self.arguments).get("id")
        binding.params[self.prefix + "id"] = database_id_of(found, self.type_name)

    def pieces(self, variants: Variants) -> list[Piece]:
        inner, t = self.obj.sql(variants), self.table
        one = f"(SELECT {inner} FROM {t} WHERE {t}.id = %({self.prefix}id)s)"
        return [Sql(f"coalesce({one}, 'null')")]
