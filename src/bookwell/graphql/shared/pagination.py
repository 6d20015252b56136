"""Relay connections: a page of edges (node + cursor), PageInfo, and the arguments every
connection field takes (first/after from the start of the range, last/before from its end)."""

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any, Generic, TypeVar

import orjson
import strawberry
from graphql import FieldNode

from bookwell.core.pagination import Page, encode_cursor
from bookwell.graphql.engine.execution import prefetched_as
from bookwell.graphql.engine.json_pages import Prebuilt
from bookwell.services.booking.reservation_json import JsonPage

N = TypeVar("N")

First = Annotated[
    int | None,
    strawberry.argument(
        description="How many edges from the start of the range (after `after`); the "
        "field's description gives its default and largest page. Not with `last`."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="A cursor: only edges after it (a page's endCursor)."),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="How many edges from the end of the range (before `before`), still in "
        "the connection's order. Not with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="A cursor: only edges before it (a page's startCursor)."),
]


@strawberry.type(description="Where a page stands in its connection (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More edges follow this page: ask again with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="Edges come before this page: ask again with `before: startCursor` "
        "(with first/after: true whenever `after` was given)."
    )
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor; null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor; null on an empty page."
    )

    @classmethod
    def of(cls, page: Page, start: str | None, end: str | None) -> "PageInfo":
        return cls(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=start,
            end_cursor=end,
        )


@strawberry.type(description="One item of a page, with its place in the connection.")
class Edge(Generic[N]):
    node: N = strawberry.field(description="The item.")
    cursor: str = strawberry.field(
        description="Opaque: pass it as `after` or `before` to page from this item."
    )


class EdgesAsJson(list):
    """The edges of a connection whose edges PostgreSQL wrote as JSON for one field node
    (prefetched["edges"]). The resolver makes one only when that node is the one field that
    reads them, so nothing should iterate this; if something does, it fails loudly rather
    than answer an empty page."""

    def __iter__(self) -> Iterator[Any]:
        raise RuntimeError("these edges were written as JSON for another field node")


@strawberry.type(description="A page of a list, in a stable order (Relay's connection model).")
class Connection(Generic[N]):
    edges: list[Edge[N]] = strawberry.field(
        description="The page's items, each with its cursor.",
        metadata=prefetched_as(lambda arguments: "edges"),
    )
    page_info: PageInfo = strawberry.field(
        description="Whether there is more before or after this page, and where to ask."
    )
    _count: strawberry.Private[Callable[[], Awaitable[int]]]
    prefetched: strawberry.Private[dict[Any, Any]] = dataclasses.field(default_factory=dict)

    @strawberry.field(description="All matches, not just this page (counted only when asked).")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def of(
        cls, page: Page, to_node: Callable[..., N], count: Callable[[], Awaitable[int]]
    ) -> "Connection[N]":
        edges = [Edge(node=to_node(row), cursor=encode_cursor(row.id)) for row in page.rows]
        start, end = (edges[0].cursor, edges[-1].cursor) if edges else (None, None)
        return cls(edges=edges, page_info=PageInfo.of(page, start, end), _count=count)

    @classmethod
    def of_json_page(
        cls, page: JsonPage, node: FieldNode, count: Callable[[], Awaitable[int]]
    ) -> "Connection[N]":
        """A page whose edges PostgreSQL wrote as one JSON array for the edges field `node`."""
        info = PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.start_cursor,
            end_cursor=page.end_cursor,
        )
        edges = Prebuilt(node, orjson.Fragment(page.edges))
        return cls(edges=EdgesAsJson(), page_info=info, _count=count, prefetched={"edges": edges})
