"""The SQL of a connection's page (pages.py): `size + 1` rows from the end it starts at, as
core/pagination.py reads them; the row past the page only says that there is more. Edges
are in the connection's order whichever end was read.

Two forms, the same JSON. `ListedPage`, when no cursor of the page is asked: the edges'
JSON texts as an ARRAY of a subquery (which keeps the subquery's order) over the page's
rows, joined with commas; the row past the page is read only when a flag asks whether there
is more. `NumberedPage` otherwise: the rows, read in a derived table named as their table
(so the declarations' column expressions apply to it), numbered in reading order and
aggregated: edges, flags and cursors in one query. The first costs PostgreSQL much less
(no window function; string_agg's ORDER BY sorts its input, which PostgreSQL 15 does not
know to be in order already).
"""

from dataclasses import dataclass

from bookwell.graphql.engine.compiler.parts import Obj, Variants
from bookwell.graphql.engine.compiler.sql import Sql, boolean, cursor, json_value

# Names no column of a table has: a derived table's row number, the array of a page's edges.
ROW = '"n$"'
LISTED = '"edges$"'


@dataclass(frozen=True)
class Page:
    table: str
    prefix: str
    condition: str  # the viewer's, the filter's and the cursors' conditions
    descending: bool  # the connection's order: newest first
    backward: bool  # read from the end (`last`)

    @property
    def order(self) -> str:
        return "DESC" if self.descending else "ASC"

    @property
    def reading(self) -> str:
        return "DESC" if self.descending != self.backward else "ASC"

    def param(self, name: str) -> str:
        return f"%({self.prefix}{name})s"

    def rows(self, limit: str, *, numbered: bool = False) -> str:
        t, by = self.table, f"ORDER BY {self.table}.id {self.reading}"
        number = f", row_number() OVER ({by}) AS {ROW}" if numbered else ""
        return f"SELECT {t}.*{number} FROM {t} WHERE {self.condition} {by} LIMIT {limit}"


@dataclass
class ListedPage:
    page: Page
    more_asked: bool
    listed: str = ""  # the SQL of the array of edges, once `edges` wrote it

    def edges(self, edge: Obj, variants: Variants) -> Sql:
        page, t = self.page, self.page.table
        limit = page.param("limit" if self.more_asked else "size")
        if page.backward:  # read from the end, written in the connection's order
            rows = f"({page.rows(limit)}) AS {t} ORDER BY {t}.id {page.order}"
            self.listed = f"ARRAY(SELECT {edge.sql(variants)} FROM {rows})"
        else:  # LIMIT stops the scan (or the sort) before any row past it is written
            by = f"ORDER BY {t}.id {page.order} LIMIT {limit}"
            self.listed = f"ARRAY(SELECT {edge.sql(variants)} FROM {t} WHERE {page.condition} {by})"
        if not self.more_asked:
            return Sql(f"array_to_string({self.listed}, ',')")
        size = page.param("size")
        if page.backward:  # the row past the page comes first in the connection's order
            return Sql(f"array_to_string({LISTED}[cardinality({LISTED}) - {size} + 1 :], ',')")
        return Sql(f"array_to_string({LISTED}[1:{size}], ',')")

    def more(self) -> Sql:
        return boolean(f"cardinality({LISTED}) > {self.page.param('size')}")

    def end(self, *, first: bool) -> Sql:
        raise AssertionError("a listed page writes no cursor")

    def select(self, written: str) -> str:
        """The connection's JSON. With the row past the page, the array is a column of a
        subquery that OFFSET 0 keeps from being pulled up (and computed once per use)."""
        if not self.more_asked:
            return f"({written})"
        return f"(SELECT {written} FROM (SELECT {self.listed} AS {LISTED} OFFSET 0) AS {LISTED})"


@dataclass
class NumberedPage:
    page: Page

    @property
    def rows(self) -> str:
        return self.page.rows(self.page.param("limit"), numbered=True)

    def _on_page(self) -> str:
        return f"{self.page.table}.{ROW} <= {self.page.param('size')}"

    def edges(self, edge: Obj, variants: Variants) -> Sql:
        t = self.page.table
        aggregated = f"string_agg({edge.sql(variants)}, ',' ORDER BY {t}.id {self.page.order})"
        return Sql(f"coalesce({aggregated} FILTER (WHERE {self._on_page()}), '')")

    def more(self) -> Sql:
        return boolean(f"count(*) > {self.page.param('size')}")

    def end(self, *, first: bool) -> Sql:
        t, order = self.page.table, self.page.order
        direction = order if first else ("ASC" if order == "DESC" else "DESC")
        at = f"(array_agg({t}.id ORDER BY {t}.id {direction}) FILTER (WHERE {self._on_page()}))[1]"
        return json_value(cursor(at))
