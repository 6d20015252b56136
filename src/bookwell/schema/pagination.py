from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

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


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

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
