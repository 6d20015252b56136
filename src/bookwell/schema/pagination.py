import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from graphql import FieldNode
from sqlalchemy.engine import Row

from bookwell.schema.execution import prefetched_as
from bookwell.schema.json_pages import Prebuilt
from bookwell.services.pagination import Page, encode_cursor

N = TypeVar("N")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    node: N
    cursor: str


class EdgesAsJson(list):
    """The edges of a connection whose edges PostgreSQL wrote as JSON for one field node
    (prefetched["edges"]). The resolver makes one only when that node is the one field that
    reads them, so nothing should iterate this; if something does, it fails loudly rather
    than answer an empty page."""

    def __iter__(self) -> Iterator[Any]:
        raise RuntimeError("these edges were written as JSON for another field node")


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]] = strawberry.field(metadata=prefetched_as(lambda arguments: "edges"))
    page_info: PageInfo
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
        end = edges[-1].cursor if edges else None
        return cls(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=end),
            _count=count,
        )

    @classmethod
    def of_json(
        cls, page: Page[Row], node: FieldNode, count: Callable[[], Awaitable[int]]
    ) -> "Connection[N]":
        """`page` holds (id, edge as JSON) rows written for the edges field `node`."""
        edges = orjson.Fragment("[" + ",".join(row[1] for row in page.rows) + "]")
        end = encode_cursor(page.rows[-1][0]) if page.rows else None
        return cls(
            edges=EdgesAsJson(),
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=end),
            _count=count,
            prefetched={"edges": Prebuilt(node, edges)},
        )
